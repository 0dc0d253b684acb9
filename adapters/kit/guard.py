"""Repositories on a unit of work: declared once with `repository(...)`, and every call of
theirs guarded by the transaction engine's doom rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast, overload

from adapters.kit.transactions import Transaction, TransactionalUnitOfWork

RepositoryT = TypeVar("RepositoryT")


class GuardedRepository:
    """A repository as the application sees it: each method call goes through
    Transaction.call, so a repository kept in a variable still refuses a doomed or ended
    transaction, and no repository method can forget the doom rule."""

    def __init__(self, repository: object, transaction: Transaction[Any]) -> None:
        self._repository = repository
        self._transaction = transaction

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repository, name)
        transaction = self._transaction
        return lambda *args, **kwargs: transaction.call(method, *args, **kwargs)


class repository(Generic[RepositoryT]):  # noqa: N801  (read as a field declaration)
    """Declares a repository on a unit of work, e.g. `accounts = repository(Accounts)`.

    `build` receives the transaction's handle (the backend's connection to its rows); the
    repository is built once per transaction, on first use, and handed out guarded.
    """

    def __init__(self, build: Callable[[Any], RepositoryT]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> repository[RepositoryT]: ...

    @overload
    def __get__(self, uow: TransactionalUnitOfWork[Any], owner: type) -> RepositoryT: ...

    def __get__(
        self, uow: TransactionalUnitOfWork[Any] | None, owner: type
    ) -> repository[RepositoryT] | RepositoryT:
        if uow is None:
            return self
        transaction = uow.active_transaction()
        built = transaction.repositories.get(self._name)
        if built is None:
            built = GuardedRepository(self._build(transaction.handle), transaction)
            transaction.repositories[self._name] = built
        return cast(RepositoryT, built)

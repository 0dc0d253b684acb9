"""The semantics of `uow.transaction()`, written once so both units of work obey them alike.

A backend supplies six storage hooks (begin, commit, rollback, and the three savepoint
operations) and its repositories; this module decides what nests, what commits, what a failed
write dooms, and when on_commit callbacks run.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from application.errors import NestedDurableTransaction, NoActiveTransaction, TransactionDoomed
from application.ports import AccountRepository, NotificationRepository, Outbox, UserRepository

logger = logging.getLogger(__name__)

HandleT = TypeVar("HandleT")
SavepointT = TypeVar("SavepointT")
ErrorT = TypeVar("ErrorT", bound=BaseException)


@dataclass
class Repositories:
    accounts: AccountRepository
    users: UserRepository
    notifications: NotificationRepository
    outbox: Outbox


@dataclass
class Block:
    """One `with uow.transaction():` block: its callbacks, and the write that doomed it."""

    callbacks: list[Callable[[], None]] = field(default_factory=list)
    failure: BaseException | None = None

    def raise_if_doomed(self) -> None:
        if self.failure is not None:
            raise TransactionDoomed(self.failure) from self.failure


class Transaction(Generic[HandleT]):
    """An outermost transaction: the backend's handle and the stack of open blocks."""

    def __init__(self, handle: HandleT) -> None:
        self.handle = handle
        self.blocks = [Block()]
        self.repositories: Repositories

    def doom(self, error: ErrorT) -> ErrorT:
        """Marks the innermost block as failed; returns error so the caller can raise it."""
        self.blocks[-1].failure = error
        return error

    def raise_if_doomed(self) -> None:
        self.blocks[-1].raise_if_doomed()


class TransactionalUnitOfWork(abc.ABC, Generic[HandleT, SavepointT]):
    def __init__(self) -> None:
        # One variable per unit of work: each thread and asyncio task sees its own transaction.
        self._current: ContextVar[Transaction[HandleT] | None] = ContextVar(
            f"{type(self).__name__}-{id(self)}", default=None
        )

    @property
    def accounts(self) -> AccountRepository:
        return self._active().repositories.accounts

    @property
    def users(self) -> UserRepository:
        return self._active().repositories.users

    @property
    def notifications(self) -> NotificationRepository:
        return self._active().repositories.notifications

    @property
    def outbox(self) -> Outbox:
        return self._active().repositories.outbox

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[None]:
        current = self._current.get()
        if current is None:
            with self._outermost():
                yield
        elif durable:
            raise NestedDurableTransaction()
        else:
            with self._nested(current):
                yield

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._active().blocks[-1].callbacks.append(callback)

    def _active(self) -> Transaction[HandleT]:
        current = self._current.get()
        if current is None:
            raise NoActiveTransaction()
        current.raise_if_doomed()
        return current

    @contextmanager
    def _outermost(self) -> Iterator[None]:
        transaction = Transaction(self._begin())
        transaction.repositories = self._repositories(transaction)
        token = self._current.set(transaction)
        try:
            try:
                yield
                transaction.raise_if_doomed()
            except BaseException:
                self._rollback(transaction.handle)
                raise
            self._commit(transaction.handle)
        finally:
            self._current.reset(token)
        # Outside the transaction, so that a callback may open a transaction of its own.
        for callback in transaction.blocks[0].callbacks:
            try:
                callback()
            except Exception:
                logger.exception("on_commit callback %r failed; the commit stands", callback)

    @contextmanager
    def _nested(self, transaction: Transaction[HandleT]) -> Iterator[None]:
        transaction.raise_if_doomed()
        savepoint = self._begin_savepoint(transaction.handle)
        block = Block()
        transaction.blocks.append(block)
        try:
            yield
            block.raise_if_doomed()
        except BaseException:
            transaction.blocks.pop()
            self._rollback_savepoint(transaction.handle, savepoint)
            raise
        transaction.blocks.pop()
        self._release_savepoint(transaction.handle, savepoint)
        transaction.blocks[-1].callbacks.extend(block.callbacks)

    @abc.abstractmethod
    def _begin(self) -> HandleT: ...

    @abc.abstractmethod
    def _commit(self, handle: HandleT) -> None:
        """Commits; whether it succeeds or raises, the handle is finished afterwards."""

    @abc.abstractmethod
    def _rollback(self, handle: HandleT) -> None: ...

    @abc.abstractmethod
    def _begin_savepoint(self, handle: HandleT) -> SavepointT: ...

    @abc.abstractmethod
    def _release_savepoint(self, handle: HandleT, savepoint: SavepointT) -> None: ...

    @abc.abstractmethod
    def _rollback_savepoint(self, handle: HandleT, savepoint: SavepointT) -> None: ...

    @abc.abstractmethod
    def _repositories(self, transaction: Transaction[HandleT]) -> Repositories: ...

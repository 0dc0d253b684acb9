"""Where a registration's time goes on memory, layer by layer: (e) the use cases alone, with
their command, hash and entities, on a unit of work that stores nothing; (u) the same on the
transaction engine and repositories over a row store that checks nothing. (e) against the bare
dicts (d) is what the use cases cost; (u) over (e) the engine and repositories; (a) over (u)
the memory store's guarantees: isolation, constraints, locks, undo and copies.

Both build RegisterAccount by hand, as the container does (which costs a few µs more).
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from typing import cast

from sqlalchemy import Table

from adapters.kit.clock import SystemClock
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.storage import Row
from adapters.unit_of_work import InMemoryUnitOfWork, ServiceUnitOfWork
from application.accounts.ports import PasswordHasher
from application.accounts.use_cases import CreateAccount, RegisterAccount
from application.welcome import QueueWelcomeEmail
from bench.registration import command
from bench.timing import Operation


class Forgetful:
    """A repository that forgets whatever it is given."""

    def add(self, *entity: object, **details: object) -> None:
        """Nothing is kept."""


class NoUnitOfWork:
    """Blocks that do nothing and repositories that keep nothing: the use cases' floor."""

    accounts = users = notifications = Forgetful()

    def transaction(
        self, durable: bool = False, savepoint: bool = True
    ) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


class UncheckedDatabase(InMemoryDatabase):
    """Keeps every row inserted in one list: what a registration needs, and nothing more."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[Row] = []

    def begin(self) -> MemoryTransaction:
        return UncheckedTransaction(self)


class UncheckedTransaction(MemoryTransaction):
    """Inserts without isolation, constraints, locks, undo or copies; nothing to commit."""

    def __init__(self, database: UncheckedDatabase) -> None:
        super().__init__(database)
        self._kept = database.kept

    def insert(self, table: Table, rows: list[Row]) -> None:
        self._kept.extend(rows)

    def savepoint(self) -> int:
        return 0

    def rollback_to(self, savepoint: int) -> None:
        """Nothing to undo."""

    def commit(self) -> None:
        """Nothing to apply."""

    def rollback(self) -> None:
        """Nothing to drop."""


def use_cases_alone(hasher: PasswordHasher) -> Operation:
    """(e) RegisterAccount on a unit of work that stores nothing."""
    return _registering(cast(ServiceUnitOfWork, NoUnitOfWork()), hasher)


def on_unchecked_rows(hasher: PasswordHasher) -> Operation:
    """(u) RegisterAccount on the memory unit of work over a store that checks nothing."""
    return _registering(cast(ServiceUnitOfWork, InMemoryUnitOfWork(UncheckedDatabase())), hasher)


def _registering(uow: ServiceUnitOfWork, hasher: PasswordHasher) -> Operation:
    welcome = QueueWelcomeEmail(uow, SystemClock())
    register_account = RegisterAccount(uow, CreateAccount(uow, hasher), [welcome])
    return lambda: register_account.execute(command())

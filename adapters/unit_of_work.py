"""The service's unit of work: the kit's transactions, with each feature's repositories.

Listing a feature's repositories here is all it takes for every backend to offer them; and
importing its module declares its tables, so that `schema()` holds them all.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, MetaData

from adapters.accounts import AccountRepositories
from adapters.kit.guard import repository
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.sqlalchemy.database import SqlRows
from adapters.kit.storage import RowTransaction, StorageProbe
from adapters.kit.tables import metadata
from adapters.kit.transactions import TransactionalUnitOfWork
from adapters.outbox.repositories import OutboxRepositories


class ServiceUnitOfWork(
    # >>> example
    AccountRepositories,
    # <<< example
    # >>> outbox
    OutboxRepositories,
    # <<< outbox
    TransactionalUnitOfWork[RowTransaction],
):
    """The unit of work every use case is given, on either backend: one instance (a container
    singleton), its transactions the kit's, its repositories the storage's probe and each
    feature's."""

    storage = repository(StorageProbe)


class InMemoryUnitOfWork(ServiceUnitOfWork):
    """On the in-memory database: one MemoryTransaction per outermost block."""

    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database.begin)
        self.database = database


class SqlAlchemyUnitOfWork(ServiceUnitOfWork):
    """On SQLAlchemy: one connection per outermost transaction, taken at its first statement."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(partial(SqlRows, engine))
        self.engine = engine


def schema() -> MetaData:
    """Every feature's tables, which their modules, imported here, declared on the kit's
    metadata: what migrations and tests build."""
    return metadata

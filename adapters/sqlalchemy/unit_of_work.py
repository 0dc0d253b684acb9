"""The unit of work over SQLAlchemy: one connection per outermost transaction, taken when
its first statement runs."""

from __future__ import annotations

from sqlalchemy import Engine, NestedTransaction

from adapters.repositories import Repositories
from adapters.sqlalchemy.database import SqlRows, storage_errors
from adapters.sqlalchemy.outbox import SqlAlchemyOutbox
from adapters.transactions import TransactionalUnitOfWork, repository


class SqlAlchemyUnitOfWork(Repositories, TransactionalUnitOfWork[SqlRows, NestedTransaction]):
    outbox = repository(SqlAlchemyOutbox)

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def _begin(self) -> SqlRows:
        return SqlRows(self.engine)

    def _commit(self, rows: SqlRows) -> None:
        rows.commit()

    def _rollback(self, rows: SqlRows) -> None:
        rows.rollback()

    def _begin_savepoint(self, rows: SqlRows) -> NestedTransaction:
        with storage_errors():
            return rows.connection.begin_nested()

    def _release_savepoint(self, rows: SqlRows, savepoint: NestedTransaction) -> None:
        with storage_errors():
            savepoint.commit()

    def _rollback_savepoint(self, rows: SqlRows, savepoint: NestedTransaction) -> None:
        with storage_errors():
            savepoint.rollback()

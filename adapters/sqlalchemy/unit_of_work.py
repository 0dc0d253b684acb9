"""The unit of work over SQLAlchemy: one connection per outermost transaction, taken when
its first statement runs."""

from __future__ import annotations

from sqlalchemy import Engine

from adapters.repositories import Repositories
from adapters.sqlalchemy.database import SqlRows
from adapters.sqlalchemy.outbox import SqlAlchemyOutbox
from adapters.transactions import TransactionalUnitOfWork, repository


class SqlAlchemyUnitOfWork(Repositories, TransactionalUnitOfWork[SqlRows, str]):
    # >>> outbox
    outbox = repository(SqlAlchemyOutbox)
    # <<< outbox

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def _begin(self) -> SqlRows:
        return SqlRows(self.engine)

    def _commit(self, rows: SqlRows) -> None:
        rows.commit()

    def _rollback(self, rows: SqlRows) -> None:
        rows.rollback()

    def _begin_savepoint(self, rows: SqlRows) -> str:
        return rows.savepoint()

    def _release_savepoint(self, rows: SqlRows, savepoint: str) -> None:
        """Nothing to send: COMMIT releases every savepoint, and a RELEASE costs a round trip.
        An outer block that rolls back still undoes what this one wrote."""

    def _rollback_savepoint(self, rows: SqlRows, savepoint: str) -> None:
        rows.rollback_to(savepoint)

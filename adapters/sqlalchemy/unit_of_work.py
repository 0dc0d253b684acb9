"""The unit of work over SQLAlchemy: one connection per outermost transaction, taken when
its first statement runs."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine

from adapters.kit.guard import repository
from adapters.kit.sqlalchemy.database import SqlRows
from adapters.kit.transactions import TransactionalUnitOfWork
from adapters.repositories import Repositories
from adapters.sqlalchemy.outbox import SqlAlchemyOutbox


class SqlAlchemyUnitOfWork(Repositories, TransactionalUnitOfWork[SqlRows]):
    # >>> outbox
    outbox = repository(SqlAlchemyOutbox)
    # <<< outbox

    def __init__(self, engine: Engine) -> None:
        super().__init__(partial(SqlRows, engine))
        self.engine = engine

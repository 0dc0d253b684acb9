"""The unit of work over SQLAlchemy: one session per outermost transaction."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from adapters.sqlalchemy.database import storage_errors
from adapters.sqlalchemy.outbox import SqlAlchemyNotifications, SqlAlchemyOutbox
from adapters.sqlalchemy.repositories import SqlAlchemyAccounts, SqlAlchemyUsers
from adapters.transactions import Repositories, Transaction, TransactionalUnitOfWork


class SqlAlchemyUnitOfWork(TransactionalUnitOfWork[Session, SessionTransaction]):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        # Entities are mapped out of rows at once, so rows need no refresh after commit.
        self._sessions = sessionmaker(engine, autoflush=False, expire_on_commit=False)

    def _begin(self) -> Session:
        session = self._sessions()
        session.begin()
        return session

    def _commit(self, session: Session) -> None:
        with storage_errors(), session:
            session.commit()

    def _rollback(self, session: Session) -> None:
        with storage_errors(), session:
            session.rollback()

    def _begin_savepoint(self, session: Session) -> SessionTransaction:
        # begin_nested() flushes pending state first; flushing here keeps an earlier step's
        # error out of the nested block that is about to start.
        with storage_errors():
            session.flush()
            return session.begin_nested()

    def _release_savepoint(self, session: Session, savepoint: SessionTransaction) -> None:
        with storage_errors():
            savepoint.commit()

    def _rollback_savepoint(self, session: Session, savepoint: SessionTransaction) -> None:
        with storage_errors():
            savepoint.rollback()

    def _repositories(self, transaction: Transaction[Session]) -> Repositories:
        return Repositories(
            accounts=SqlAlchemyAccounts(transaction),
            users=SqlAlchemyUsers(transaction),
            notifications=SqlAlchemyNotifications(transaction),
            outbox=SqlAlchemyOutbox(transaction),
        )

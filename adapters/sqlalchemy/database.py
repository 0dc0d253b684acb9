"""Engines for SQLite and PostgreSQL, configured so savepoints behave the same on both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

from adapters.sqlalchemy.models import Base
from application.errors import StorageError


def create_engine(url: str | sqlalchemy.URL, **options: Any) -> Engine:
    # Errors and logs show the SQL but never the values: they may be a password hash.
    engine = sqlalchemy.create_engine(url, hide_parameters=True, **options)
    if engine.dialect.name == "sqlite":
        _make_sqlite_transactions_explicit(engine)
    return engine


def _make_sqlite_transactions_explicit(engine: Engine) -> None:
    """SQLAlchemy's documented recipe for working SAVEPOINTs on SQLite.

    Python's sqlite3 driver (legacy transaction mode) emits no BEGIN before a SAVEPOINT, so a
    released savepoint would survive a rollback of the outer transaction. The driver is told
    to stay out of the way and the engine emits BEGIN itself. IMMEDIATE takes the write lock
    up front, so two writers queue instead of failing to upgrade a read lock.
    """

    @event.listens_for(engine, "connect")
    def _disable_driver_transactions(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin_explicitly(connection: sqlalchemy.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_schema(engine: Engine) -> None:
    """Create the tables straight from the models, with no migration history: quick for tests.

    Real databases are migrated (adapters.sqlalchemy.migrations, `keel db upgrade`);
    tests/test_migrations.py proves that both paths build the same schema.
    """
    Base.metadata.create_all(engine)


@contextmanager
def storage_errors() -> Iterator[None]:
    """SQLAlchemy's errors become StorageError, which names only their class: the application
    never sees SQLAlchemy, and a driver's message (it may quote a row) goes nowhere."""
    try:
        yield
    except SQLAlchemyError as error:
        raise StorageError(type(error).__name__) from None

"""Engines for SQLite and PostgreSQL, configured so savepoints behave the same on both, and the
rows a transaction reads and writes, through SQLAlchemy Core on its connection."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy
from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Executable,
    Index,
    MetaData,
    Table,
    event,
    select,
    text,
)
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from adapters.kit.sqlalchemy.errors import storage_error
from adapters.kit.storage import ForeignKeyViolation, Key, Row, UniqueViolation
from adapters.kit.tables import metadata
from application.kit.errors import StorageError

# Options that only a pool of several connections takes (not SQLite's in-memory pool).
_QUEUE_POOL_OPTIONS = ("pool_size", "max_overflow", "pool_timeout")


def create_engine(
    url: str | sqlalchemy.URL, statement_timeout: float | None = None, **options: Any
) -> Engine:
    """An engine for url. options are SQLAlchemy's (pool_size, max_overflow, pool_timeout,
    pool_pre_ping, poolclass); pre-ping is on unless turned off, so a pooled connection the
    server dropped is replaced on checkout instead of failing a request.

    statement_timeout (seconds) bounds any one wait of the database: on PostgreSQL a
    statement, and a connection attempt; on SQLite, which has no statement timeout, the wait
    for another connection's lock (its busy timeout). Past it: TransientStorageError.
    """
    url = sqlalchemy.make_url(url)
    options.setdefault("pool_pre_ping", True)
    dialect = cast(type[DefaultDialect], url.get_dialect())
    pool_class = options.get("poolclass") or dialect.get_pool_class(url)
    if not issubclass(pool_class, QueuePool):
        options = {k: v for k, v in options.items() if k not in _QUEUE_POOL_OPTIONS}
    connect_args: dict[str, Any] = {}
    if statement_timeout is not None and url.get_backend_name() == "postgresql":
        # Added to what the URL asks (?options=-csearch_path%3Dapp, ?connect_timeout=), not
        # in place of it.
        milliseconds = math.ceil(statement_timeout * 1000)
        asked = url.query.get("options", "")
        asked = asked if isinstance(asked, str) else " ".join(asked)
        connect_args["options"] = f"{asked} -c statement_timeout={milliseconds}".strip()
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = math.ceil(statement_timeout)
    elif statement_timeout is not None and url.get_backend_name() == "sqlite":
        connect_args["timeout"] = statement_timeout
    # Errors and logs show the SQL but never the values: they may be a password hash.
    engine = sqlalchemy.create_engine(
        url, hide_parameters=True, connect_args=connect_args, **options
    )
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


def create_schema(engine: Engine, schema: MetaData = metadata) -> None:
    """Create the tables straight from their declarations, with no migration history: quick
    for tests. Real databases are migrated (adapters.migrations, `keel db
    upgrade`); tests/test_migrations.py proves that both paths build the same schema."""
    schema.create_all(engine)


@contextmanager
def storage_errors() -> Iterator[None]:
    """SQLAlchemy's errors become StorageError, which names only their classes: the
    application never sees SQLAlchemy, and a driver's message (it may quote a row) goes
    nowhere."""
    try:
        yield
    except SQLAlchemyError as error:
        raise storage_error(error) from None


class SqlRows:
    """The rows of one transaction, read and written with Core statements on its connection.

    The connection is taken, and its transaction begun, at the first statement: a block that
    never touches the database costs nothing, and on SQLite takes no lock.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._savepoints = 0

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            with storage_errors():
                connection = self._engine.connect()
                try:
                    connection.begin()
                except BaseException:
                    connection.close()
                    raise
            self._connection = connection
        return self._connection

    def commit(self) -> None:
        if self._connection is not None:
            with storage_errors(), self._connection as connection:
                connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            with storage_errors(), self._connection as connection:
                connection.rollback()

    def savepoint(self) -> str:
        """Sets a savepoint and returns its name."""
        self._savepoints += 1
        name = f"keel_{self._savepoints}"
        self.execute(text(f"SAVEPOINT {name}"))
        return name

    def rollback_to(self, savepoint: str) -> None:
        """Undoes what was written since the savepoint; on PostgreSQL, also the abort that a
        failed statement left behind."""
        self.execute(text(f"ROLLBACK TO SAVEPOINT {savepoint}"))

    def insert(self, table: Table, rows: list[Row]) -> None:
        if rows:
            self.execute(table.insert(), rows, table)

    def get(self, table: Table, key: Key, for_update: bool = False) -> Row | None:
        statement = select(table).where(*_matches_key(table, key))
        if for_update:  # SQLite renders nothing: BEGIN IMMEDIATE already serialises writers
            statement = statement.with_for_update()
        row = self.execute(statement).mappings().first()
        return None if row is None else dict(row)

    def find(self, table: Table, column: str, value: object) -> list[Row]:
        statement = select(table).where(table.c[column] == value)
        return [dict(row) for row in self.execute(statement).mappings()]

    def update(self, table: Table, key: Key, values: Row, expected: Mapping[str, object]) -> bool:
        matches = [*_matches_key(table, key), *(table.c[c] == v for c, v in expected.items())]
        result = self.execute(table.update().where(*matches).values(values), table=table)
        return result.rowcount == 1

    def delete(self, table: Table, key: Key) -> None:
        self.execute(table.delete().where(*_matches_key(table, key)), table=table)

    def ping(self) -> None:
        self.execute(select(1))

    def execute(
        self, statement: Executable, rows: list[Row] | None = None, table: Table | None = None
    ) -> CursorResult[*tuple[Any, ...]]:
        """Runs a statement; a broken constraint of table is named, any other error becomes
        StorageError."""
        try:
            return self.connection.execute(statement, rows)
        except IntegrityError as error:
            raise _violation(error, table) from None
        except SQLAlchemyError as error:
            raise storage_error(error) from None


def _matches_key(table: Table, key: Key) -> list[Any]:
    return [column == value for column, value in zip(table.primary_key.columns, key, strict=True)]


def _violation(error: IntegrityError, table: Table | None) -> StorageError:
    """The constraint a write broke, named by the schema's columns, never by the values."""
    if table is None:
        return StorageError("IntegrityError")
    driver_error = error.orig
    sqlstate = getattr(driver_error, "sqlstate", None)  # PostgreSQL's error codes
    if sqlstate == "23503":
        return ForeignKeyViolation(table.name)
    if sqlstate == "23505":
        name = driver_error.diag.constraint_name  # type: ignore[union-attr]
        unique_indexes = [index for index in table.indexes if index.unique]
        for unique in [*table.constraints, *unique_indexes]:
            if isinstance(unique, ColumnCollectionConstraint | Index) and unique.name == name:
                return UniqueViolation(table.name, tuple(c.name for c in unique.columns))
    message = str(driver_error)  # SQLite names the columns instead
    if message.startswith("UNIQUE constraint failed: "):
        columns = message.removeprefix("UNIQUE constraint failed: ").split(", ")
        return UniqueViolation(table.name, tuple(column.split(".")[-1] for column in columns))
    if message.startswith("FOREIGN KEY constraint failed"):
        return ForeignKeyViolation(table.name)
    return StorageError("IntegrityError")

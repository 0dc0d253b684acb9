"""When the database fails for a moment: 503 with Retry-After on every backend, a log that
names the real cause, and a pooled connection the server dropped costs no request."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.sqlalchemy.errors import storage_error
from application.kit.errors import TransientStorageError
from bootstrap import build_container
from tests.support import postgres_url, settings_for


def driver_error(error: Exception, **attributes: object) -> Exception:
    for attribute, value in attributes.items():
        setattr(error, attribute, value)
    return error


TRANSIENT = {
    "connection invalidated": DBAPIError(
        "SELECT 1", None, Exception(), connection_invalidated=True
    ),
    "no connection free in the pool": PoolTimeout(),
    "statement timeout": OperationalError("SELECT 1", None, psycopg.errors.QueryCanceled()),
    "serialisation failure": OperationalError(
        "SELECT 1", None, psycopg.errors.SerializationFailure()
    ),
    "server shut down": OperationalError("SELECT 1", None, psycopg.errors.AdminShutdown()),
    "connection refused": OperationalError("connect", None, psycopg.OperationalError()),
    "sqlite busy": OperationalError(
        "BEGIN", None, driver_error(sqlite3.OperationalError(), sqlite_errorcode=5)
    ),
}
LASTING = {
    "unique violation": IntegrityError("INSERT", None, psycopg.errors.UniqueViolation()),
    "missing table": OperationalError(
        "SELECT", None, driver_error(sqlite3.OperationalError(), sqlite_errorcode=1)
    ),
    "syntax error": DBAPIError("SELEC", None, psycopg.errors.SyntaxError()),
}


@pytest.mark.parametrize("error", TRANSIENT.values(), ids=list(TRANSIENT))
def test_a_failure_of_the_moment_becomes_a_transient_storage_error(error: SQLAlchemyError) -> None:
    assert isinstance(storage_error(error), TransientStorageError)


@pytest.mark.parametrize("error", LASTING.values(), ids=list(LASTING))
def test_a_failure_of_the_request_is_a_storage_error_that_is_not_transient(
    error: SQLAlchemyError,
) -> None:
    assert not isinstance(storage_error(error), TransientStorageError)


def test_a_storage_error_names_the_library_and_driver_classes_and_the_sqlstate_only() -> None:
    error = OperationalError(
        "INSERT INTO users VALUES (%(hash)s)",
        {"hash": "$argon2id$secret"},
        psycopg.errors.AdminShutdown("terminating connection for user keel"),
    )

    assert storage_error(error).reason == (
        "OperationalError (psycopg.errors.AdminShutdown, SQLSTATE 57P01)"
    )


@pytest.mark.sql
def test_on_postgresql_the_statement_timeout_keeps_the_connection_options_the_url_asks_for() -> (
    None
):
    # PostgreSQL by nature: `options` and `connect_timeout` are libpq's connection parameters.
    options = {"options": "-csearch_path=keel_path"}
    url = make_url(postgres_url()).update_query_dict(options)
    engine = create_engine(url, statement_timeout=7)

    with engine.connect() as connection:
        search_path = connection.exec_driver_sql("SHOW search_path").scalar()
        timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar()
    engine.dispose()

    assert (search_path, timeout) == ("keel_path", "7s")


@pytest.mark.sql
def test_on_postgresql_migrations_run_without_the_statement_timeout_of_requests() -> None:
    # PostgreSQL by nature: SQLite has no statement timeout, and memory no schema.
    settings = settings_for(postgres_url()).model_copy(
        update={"database_statement_timeout_seconds": 1.0}
    )
    container = build_container(settings)

    with container.engine().connect() as connection:
        for_requests = connection.exec_driver_sql("SHOW statement_timeout").scalar()
    with container.migration_engine().connect() as connection:
        for_migrations = connection.exec_driver_sql("SHOW statement_timeout").scalar()
    container.engine().dispose()

    assert (for_requests, for_migrations) == ("1s", "0")

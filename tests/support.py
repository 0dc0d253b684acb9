"""What the tests share: the backends under test and ways to look inside them, and the inputs
most tests need. Fixtures live in conftest.py; this module is imported."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, MetaData, delete, text

from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.sqlalchemy.database import SqlRows
from adapters.unit_of_work import InMemoryUnitOfWork, ServiceUnitOfWork, schema
from bootstrap import Container, build_container
from entrypoints.logs import LogFormat
from settings import Settings
from tests import accounts_support, outbox_support
from tests.postgres_server import PostgresUnavailable, ThrowawayPostgres

# The SQL backends carry the `sql` marker, as does every test that takes a SQL fixture
# (conftest.py checks it): `make unit` leaves them out.
SQL_BACKENDS = [
    pytest.param(name, marks=pytest.mark.sql, id=name) for name in ("sqlite", "postgres")
]
BACKENDS = [pytest.param("memory", id="memory"), *SQL_BACKENDS]


class Boom(Exception):
    """The failure a test raises on purpose."""


def full_width(text: str) -> str:
    """text as typed with full-width forms (East Asian input methods): a different string
    that Unicode NFKC turns back into text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Configures the service's logging in the given format into a buffer, and returns it: the
# `logged` fixture (conftest.py), which removes keel's handler afterwards.
Logged = Callable[[LogFormat], io.StringIO]


# What each feature's tests change of its defaults, e.g. a cheap hash, emails recorded.
FEATURE_TEST_SETTINGS: list[dict[str, object]] = [
    # >>> example
    accounts_support.TEST_SETTINGS,
    # <<< example
    # >>> outbox
    outbox_support.TEST_SETTINGS,
    # <<< outbox
]
# The singletons kept from test to test, since they hold only threads (a hasher's pool).
KEPT_SINGLETONS: list[str] = [
    # >>> example
    *accounts_support.KEPT_SINGLETONS,
    # <<< example
]


def test_settings() -> dict[str, object]:
    """The settings every feature's tests change, by name."""
    return {name: value for feature in FEATURE_TEST_SETTINGS for name, value in feature.items()}


def settings_for(database_url: str) -> Settings:
    return Settings.model_validate({"database_url": database_url, **test_settings()})


@dataclass
class Backend:
    """A backend under test: its name, its wired container, and a way to look inside it."""

    name: str
    settings: Settings
    container: Container
    engine: Engine | None = None  # the SQL backends' session engine
    kept: dict[str, object] = field(default_factory=dict)  # KEPT_SINGLETONS, once made

    @classmethod
    def wired(cls, name: str, settings: Settings, engine: Engine | None = None) -> Backend:
        return cls(name, settings, build_container(settings), engine)

    def reset(self) -> Backend:
        """The container as build_container wired it, whatever the last test did with it: no
        override, new singletons (on memory, a new empty database), the SQL tables emptied.
        Cheaper than a container of its own: building one took longer than most tests."""
        # Configuration values are overrides too: reset_override drops them, so give them again.
        self.container.reset_override()
        self.container.config.from_dict(self.settings.model_dump())
        self.container.reset_singletons()
        for name in KEPT_SINGLETONS:
            provider = getattr(self.container, name)
            kept = self.kept.setdefault(name, provider())
            provider.override(providers.Object(kept))
        if self.engine is not None:
            self.container.engine.override(providers.Object(self.engine))
            empty(self.engine)
        return self

    @property
    def uow(self) -> ServiceUnitOfWork:
        return self.container.unit_of_work()

    def rows(self, table: str) -> int:
        """How many committed rows the table holds, asked of the backend itself."""
        uow = self.container.unit_of_work()
        if isinstance(uow, InMemoryUnitOfWork):
            return len(uow.database.committed(table))
        with self.container.engine().connect() as connection:
            return int(connection.scalar(text(f"SELECT count(*) FROM {table}")))


# Started on first use, stopped when the session ends (a fixture in conftest.py).
THROWAWAY_POSTGRES = ThrowawayPostgres()


def postgres_url() -> str:
    """The PostgreSQL server under test: KEEL_TEST_POSTGRES_URL, else a throwaway
    server started for this session. Skips the test without either, fails it under CI."""
    url = os.environ.get("KEEL_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        return THROWAWAY_POSTGRES.url()
    except PostgresUnavailable as error:
        missing = "no KEEL_TEST_POSTGRES_URL, and no throwaway server"
        reason = f"PostgreSQL not tested: {missing}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def empty(engine: Engine, tables: MetaData | None = None) -> None:
    """Deletes every row of tables (by default the service's schema)."""
    with engine.begin() as connection:
        for table in reversed((tables or schema()).sorted_tables):
            connection.execute(delete(table))


def backend_for(name: str, request: pytest.FixtureRequest) -> Backend:
    """The named backend, reset: its container as wired, its database empty. Each backend is
    wired once for the session (the `{name}_backend` fixtures in conftest.py), so a second
    call for the same name resets the backend the first one returned."""
    backend: Backend = request.getfixturevalue(f"{name}_backend")
    return backend.reset()


def until_another_waits(uow: Any) -> None:
    """Returns once another transaction waits for a lock that uow's transaction holds: on
    memory and PostgreSQL by watching the waiter; SQLite shows none, so there it gives the
    other 0.2 s to reach the lock. Raises after 10 s without a waiter."""
    handle = uow.active_transaction().handle
    if isinstance(handle, MemoryTransaction):
        database = handle.database

        def waiting() -> int:
            return database.waiting
    elif isinstance(handle, SqlRows) and handle.connection.dialect.name == "postgresql":
        connection = handle.connection

        def waiting() -> int:
            # pg_stat_activity is a snapshot taken once per transaction unless cleared.
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiters = text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            return int(connection.execute(waiters).scalar_one())
    else:
        time.sleep(0.2)
        return
    deadline = time.monotonic() + 10
    while waiting() < 1:
        assert time.monotonic() < deadline, "no transaction came to wait for the lock"
        time.sleep(0.001)

"""One suite, three backends: every test that takes `backend` runs on memory, SQLite and
PostgreSQL. PostgreSQL is read from KEEL_TEST_POSTGRES_URL; without it the suite starts a
throwaway server of its own (tests/postgres_server.py). If that cannot start, those tests are
skipped with the reason, except under CI=true, where a missing PostgreSQL fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, delete, text

from adapters.email import RecordingEmailSender
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.sqlalchemy.database import create_engine, create_schema
from adapters.sqlalchemy.models import Base
from application.commands import CreateAccountCommand
from application.ports import UnitOfWork
from bootstrap import Container, Settings, build_container
from tests.postgres_server import PostgresUnavailable, ThrowawayPostgres, session_fixture

BACKENDS = ["memory", "sqlite", "postgres"]
PASSWORD = "correct horse battery staple"

# The real argon2id hasher at its cheapest cost: fast tests, no plaintext stand-in.
CHEAP_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8, "argon2_parallelism": 1}


def settings_for(database_url: str) -> Settings:
    return Settings(database_url=database_url, email_sender="recording", **CHEAP_HASHING)


@dataclass
class Backend:
    """A backend under test: its name, its wired container, and a way to look inside it."""

    name: str
    settings: Settings
    container: Container

    @property
    def uow(self) -> UnitOfWork:
        uow: UnitOfWork = self.container.unit_of_work()
        return uow

    @property
    def sender(self) -> RecordingEmailSender:
        sender: RecordingEmailSender = self.container.email_sender()
        return sender

    def rows(self, table: str) -> int:
        """How many committed rows the table holds, asked of the backend itself."""
        uow = self.container.unit_of_work()
        if isinstance(uow, InMemoryUnitOfWork):
            return len(uow.database.committed(table))
        with self.container.engine().connect() as connection:
            return int(connection.scalar(text(f"SELECT count(*) FROM {table}")))

    def accounts_without_admin(self) -> int:
        uow = self.container.unit_of_work()
        if isinstance(uow, InMemoryUnitOfWork):
            users = uow.database.committed("users")
            accounts = uow.database.committed("accounts")
            return sum(1 for a in accounts if not any(u.account_id == a.id for u in users))
        orphans = text(
            "SELECT count(*) FROM accounts LEFT OUTER JOIN users"
            " ON users.account_id = accounts.id WHERE users.id IS NULL"
        )
        with self.container.engine().connect() as connection:
            return int(connection.scalar(orphans))


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("sqlite") / "keel.db"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    yield engine
    engine.dispose()


THROWAWAY_POSTGRES = ThrowawayPostgres()
throwaway_postgres = session_fixture(THROWAWAY_POSTGRES)


def postgres_url() -> str:
    """The PostgreSQL server under test: KEEL_TEST_POSTGRES_URL, else a throwaway server
    started for this session. Skips the test without either, fails it under CI."""
    url = os.environ.get("KEEL_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        return THROWAWAY_POSTGRES.url()
    except PostgresUnavailable as error:
        reason = (
            f"PostgreSQL not tested: no KEEL_TEST_POSTGRES_URL, and no throwaway server: {error}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    engine = create_engine(postgres_url())
    Base.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


def backend_for(name: str, request: pytest.FixtureRequest) -> Backend:
    if name == "memory":
        settings = settings_for("memory://")
        return Backend(name, settings, build_container(settings))
    engine: Engine = request.getfixturevalue(f"{name}_engine")
    empty(engine)
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    container = build_container(settings)
    container.engine.override(providers.Object(engine))
    return Backend(name, settings, container)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return backend_for(request.param, request)


@pytest.fixture
def uow(backend: Backend) -> UnitOfWork:
    return backend.uow


def registration(email: str = "ada@example.com", **overrides: object) -> CreateAccountCommand:
    fields: dict[str, object] = {
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    return CreateAccountCommand.model_validate(fields | overrides)

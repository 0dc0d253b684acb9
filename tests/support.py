"""What the tests share: the backends under test and ways to look inside them, and the inputs
most tests need. Fixtures live in conftest.py; this module is imported."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, MetaData, delete, text

from adapters.email import RecordingEmailSender
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.tables import metadata
from application.commands import CreateAccountCommand
from application.ports import UnitOfWork
from bootstrap import Container, Settings, build_container
from tests.postgres_server import PostgresUnavailable, ThrowawayPostgres

BACKENDS = ["memory", "sqlite", "postgres"]
PASSWORD = "correct horse battery staple"

# The real argon2id hasher at its cheapest cost: fast tests, no plaintext stand-in.
CHEAP_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8, "argon2_parallelism": 1}


def full_width(text: str) -> str:
    """text as typed with full-width forms (East Asian input methods): a different string
    that Unicode NFKC turns back into text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


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
            admins_of = {user["account_id"] for user in uow.database.committed("users")}
            return sum(1 for a in uow.database.committed("accounts") if a["id"] not in admins_of)
        orphans = text(
            "SELECT count(*) FROM accounts LEFT OUTER JOIN users"
            " ON users.account_id = accounts.id WHERE users.id IS NULL"
        )
        with self.container.engine().connect() as connection:
            return int(connection.scalar(orphans))


# Started on first use, stopped when the session ends (a fixture in conftest.py).
THROWAWAY_POSTGRES = ThrowawayPostgres()


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


def empty(engine: Engine, schema: MetaData = metadata) -> None:
    with engine.begin() as connection:
        for table in reversed(schema.sorted_tables):
            connection.execute(delete(table))


def backend_for(name: str, request: pytest.FixtureRequest) -> Backend:
    """A container wired to the named backend, its database empty."""
    if name == "memory":
        settings = settings_for("memory://")
        return Backend(name, settings, build_container(settings))
    engine: Engine = request.getfixturevalue(f"{name}_engine")
    empty(engine)
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    container = build_container(settings)
    container.engine.override(providers.Object(engine))
    return Backend(name, settings, container)


def registration(email: str = "ada@example.com", **overrides: object) -> CreateAccountCommand:
    fields: dict[str, object] = {
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    return CreateAccountCommand.model_validate(fields | overrides)

"""What the tests share: the backends under test and ways to look inside them, and the inputs
most tests need. Fixtures live in conftest.py; this module is imported."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypedDict

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, MetaData, delete, text

from adapters.email import RecordingEmailSender
from adapters.kit.clock import ManualClock
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.tables import metadata
from application.commands import CreateAccountCommand
from application.ports import EmailMessage, PasswordHasher, UnitOfWork
from bootstrap import Container, build_container
from domain.email import Email
from domain.notifications import Notification
from settings import Settings
from tests.postgres_server import PostgresUnavailable, ThrowawayPostgres

BACKENDS = ["memory", "sqlite", "postgres"]
# >>> example
PASSWORD = "correct horse battery staple"
# <<< example


# >>> example
class Hashing(TypedDict):
    """The argon2id settings by name, so that Settings(**CHEAP_HASHING) type-checks."""

    argon2_time_cost: int
    argon2_memory_cost_kib: int
    argon2_parallelism: int


# The real argon2id hasher at its cheapest cost: fast tests, no plaintext stand-in.
CHEAP_HASHING = Hashing(argon2_time_cost=1, argon2_memory_cost_kib=8, argon2_parallelism=1)
# <<< example


def full_width(text: str) -> str:
    """text as typed with full-width forms (East Asian input methods): a different string
    that Unicode NFKC turns back into text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def settings_for(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        # >>> outbox
        email_sender="recording",
        # <<< outbox
        # >>> example
        **CHEAP_HASHING,
        # <<< example
    )


@dataclass
class Backend:
    """A backend under test: its name, its wired container, and a way to look inside it."""

    name: str
    settings: Settings
    container: Container
    engine: Engine | None = None  # the SQL backends' session engine
    # >>> example
    hasher: PasswordHasher | None = None  # the container's own, kept from test to test
    # <<< example

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
        # >>> example
        # The hasher holds no data, only its pool of threads: the first one is kept, so that
        # no test starts threads of its own.
        if self.hasher is None:
            self.hasher = self.container.password_hasher()
        self.container.password_hasher.override(providers.Object(self.hasher))
        # <<< example
        if self.engine is not None:
            self.container.engine.override(providers.Object(self.engine))
            empty(self.engine)
        return self

    @property
    def uow(self) -> UnitOfWork:
        return self.container.unit_of_work()

    # >>> outbox
    @property
    def sender(self) -> RecordingEmailSender:
        sender = self.container.email_sender()
        assert isinstance(sender, RecordingEmailSender)
        return sender

    # <<< outbox

    def rows(self, table: str) -> int:
        """How many committed rows the table holds, asked of the backend itself."""
        uow = self.container.unit_of_work()
        if isinstance(uow, InMemoryUnitOfWork):
            return len(uow.database.committed(table))
        with self.container.engine().connect() as connection:
            return int(connection.scalar(text(f"SELECT count(*) FROM {table}")))

    # >>> example
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

    # <<< example


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


# >>> outbox
def queue_emails(uow: UnitOfWork, count: int) -> None:
    """Queues count emails due now, each its own notification, as a use case would."""
    with uow.transaction():
        for number in range(count):
            recipient = Email(f"user{number}@example.com")
            notification = Notification.create("reminder", str(number), recipient)
            message = EmailMessage(recipient, "Reminder", "Hello", notification.idempotency_key)
            uow.notifications.add(notification, message, ManualClock().now())


# <<< outbox


def empty(engine: Engine, schema: MetaData = metadata) -> None:
    with engine.begin() as connection:
        for table in reversed(schema.sorted_tables):
            connection.execute(delete(table))


def backend_for(name: str, request: pytest.FixtureRequest) -> Backend:
    """The named backend, reset: its container as wired, its database empty. Each backend is
    wired once for the session (the `{name}_backend` fixtures in conftest.py), so a second
    call for the same name resets the backend the first one returned."""
    backend: Backend = request.getfixturevalue(f"{name}_backend")
    return backend.reset()


# >>> example
def registration(email: str = "ada@example.com", **overrides: object) -> CreateAccountCommand:
    fields: dict[str, object] = {
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    return CreateAccountCommand.model_validate(fields | overrides)


# <<< example

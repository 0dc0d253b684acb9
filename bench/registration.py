"""One registration written four ways: (a) through the service, (b) by hand with a
SQLAlchemy Session, (c) by hand with the raw driver, and on memory (d) with bare dicts.

A registration is what `POST /accounts` runs: the account and its admin user, then the
welcome email queued in a savepoint (optional: its failure would undo only itself), in one
transaction. Each call registers a fresh, unique email and hashes the password with the
service's own hasher (argon2id at its cheapest, on its bounded pool of threads), so every
variant pays the same for hashing and the ratios compare what surrounds it. (a) and (d) also
build and validate the CreateAccountCommand, as the service does; (b) and (c) skip that.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import uuid
from datetime import UTC, datetime

import argon2
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session

from adapters import accounts as tables
from adapters.outbox import tables as outbox_tables
from application.accounts.commands import CreateAccountCommand
from application.accounts.ports import PasswordHasher
from application.welcome import welcome_message
from bench.databases import (
    ARGON2_MEMORY_COST_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    Backend,
)
from bench.timing import Operation
from domain.email import Email
from domain.notifications import Notification

PASSWORD = "correct horse battery staple"  # noqa: S105  (a throwaway benchmark password)

_numbers = itertools.count()
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Rows(DeclarativeBase):
    """ORM classes for (b), mapped onto the service's tables, as a hand-written service would."""


class AccountRow(Rows):
    __table__ = tables.accounts
    __mapper_args__ = {"version_id_col": tables.accounts.c.version}  # noqa: RUF012


class UserRow(Rows):
    __table__ = tables.users
    __mapper_args__ = {"version_id_col": tables.users.c.version}  # noqa: RUF012


class NotificationRow(Rows):
    __table__ = outbox_tables.notifications


def unique_email() -> str:
    return f"user{next(_numbers)}@example.com"


def cheapest_hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher(
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_COST_KIB,
        parallelism=ARGON2_PARALLELISM,
        type=argon2.Type.ID,
    )


def command() -> CreateAccountCommand:
    return CreateAccountCommand(
        email=unique_email(), password=PASSWORD, password_confirmation=PASSWORD
    )


def through_the_service(backend: Backend, use_case: str = "register_account") -> Operation:
    """(a) container -> RegisterAccount (or CreateAccount) -> unit of work, command validated."""
    build = getattr(backend.container, use_case)

    def register() -> None:
        build().execute(command())

    return register


def through_the_service_unvalidated(backend: Backend) -> Operation:
    """(a) with the command built by `model_construct`, which skips validation: what the layers
    cost on their own, since (b) and (c) validate nothing either."""
    container = backend.container
    password = SecretStr(PASSWORD)

    def register() -> None:
        command = CreateAccountCommand.model_construct(
            email=unique_email(), password=password, password_confirmation=password
        )
        container.register_account().execute(command)

    return register


def inside_blocks(backend: Backend, blocks: int) -> Operation:
    """(a) inside `blocks` enclosing `uow.transaction()` blocks: the use case's own block
    becomes a savepoint, and every block after the outermost one more savepoint."""
    container = backend.container
    uow = container.unit_of_work()

    def register() -> None:
        with contextlib.ExitStack() as enclosing:
            for _ in range(blocks):
                enclosing.enter_context(uow.transaction())
            container.create_account().execute(command())

    return register


def with_a_session(backend: Backend, welcome: bool = True) -> Operation:
    """(b) A hand-written SQLAlchemy Session on the same engine: rows, no domain, no ports; the
    welcome in a savepoint of its own, as keel does."""
    engine = backend.engine
    hasher = backend.container.password_hasher()

    def register() -> None:
        email = unique_email()
        password_hash = hasher.hash(PASSWORD)
        account_id, user_id = uuid.uuid4(), uuid.uuid4()
        with Session(engine) as session, session.begin():
            session.add(AccountRow(id=account_id, name=email, seat_limit=5))
            session.add(
                UserRow(
                    id=user_id,
                    account_id=account_id,
                    email=email,
                    password_hash=password_hash,
                    role="admin",
                )
            )
            if welcome:
                with session.begin_nested():
                    notification = Notification.create("welcome", str(user_id), Email(email))
                    session.add(
                        NotificationRow(
                            **outbox_tables.notification_row(
                                notification, welcome_message(notification), NOW
                            )
                        )
                    )

    return register


def with_the_driver(backend: Backend, welcome: bool = True) -> Operation:
    """(c) Raw psycopg 3 or sqlite3: the same statements on a kept connection."""
    assert backend.raw is not None, "the memory backend has no driver"
    raw = backend.raw
    hasher = backend.container.password_hasher()

    def register() -> None:
        raw.register(unique_email(), hasher.hash(PASSWORD), welcome)

    return register


class BareDicts:
    """(d) The limit for the memory backend: the same rows in dicts, the same uniqueness
    checks under one lock, the same hash and command validation; no unit of work."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[uuid.UUID, dict[str, object]] = {}
        self._users: dict[uuid.UUID, dict[str, object]] = {}
        self._user_by_email: dict[str, uuid.UUID] = {}
        self._notifications: dict[uuid.UUID, dict[str, object]] = {}
        self._idempotency_keys: set[str] = set()
        self._hasher = hasher

    def register(self) -> None:
        registration = command()
        password_hash = self._hasher.hash(registration.password.get_secret_value())
        email = Email(registration.email)
        account_id, user_id = uuid.uuid4(), uuid.uuid4()
        notification = Notification.create("welcome", str(user_id), email)
        with self._lock:
            if email.value in self._user_by_email:
                raise ValueError(f"email already registered: {email}")
            self._accounts[account_id] = {"id": account_id, "name": email.value, "version": 1}
            self._users[user_id] = {
                "id": user_id,
                "account_id": account_id,
                "email": email.value,
                "password_hash": password_hash,
                "role": "admin",
                "version": 1,
            }
            self._user_by_email[email.value] = user_id
            if notification.idempotency_key in self._idempotency_keys:
                raise ValueError(f"notification already recorded: {notification.idempotency_key}")
            self._notifications[notification.id] = outbox_tables.notification_row(
                notification, welcome_message(notification), NOW
            )
            self._idempotency_keys.add(notification.idempotency_key)


def statements_per_registration(backend: Backend, operation: Operation, runs: int = 5) -> float:
    """What the client sends per registration on this engine: statements, BEGIN and COMMIT,
    and the pool's pre-ping when it is on."""
    sent: list[str] = []

    def count(*_: object) -> None:
        sent.append("statement")

    engine = backend.engine
    listeners = [("before_cursor_execute", count), ("commit", count)]
    if engine.dialect.name == "postgresql":  # psycopg sends BEGIN itself; SQLite's is a statement
        listeners.append(("begin", count))
    if backend.container.settings().database_pool_pre_ping:
        # Each checkout first asks the server whether the connection still lives: a round trip
        # that no statement event sees.
        listeners.append(("checkout", count))
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        for _ in range(runs):
            operation()
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    return len(sent) / runs

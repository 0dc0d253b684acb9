"""One registration (an account and its admin user, in one transaction) written three ways:
(a) through keel, (b) by hand with a SQLAlchemy Session, (c) by hand with the raw driver.

Each call registers a fresh, unique email and hashes the password with the same cheapest
argon2id. Beyond that, (a) does what the service does and the others skip: it validates a
CreateAccountCommand and builds the domain entities before the two INSERTs.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid

import argon2
from pydantic import SecretStr
from sqlalchemy.orm import DeclarativeBase, Session

from adapters import tables
from application.commands import CreateAccountCommand
from application.ports import UnitOfWork
from bench.databases import (
    ARGON2_MEMORY_COST_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    Backend,
)
from bench.timing import Operation

PASSWORD = "correct horse battery staple"  # noqa: S105  (a throwaway benchmark password)

_numbers = itertools.count()


class Rows(DeclarativeBase):
    """ORM classes for (b), mapped onto keel's own tables, as a hand-written service would."""


class AccountRow(Rows):
    __table__ = tables.accounts
    __mapper_args__ = {"version_id_col": tables.accounts.c.version}  # noqa: RUF012


class UserRow(Rows):
    __table__ = tables.users
    __mapper_args__ = {"version_id_col": tables.users.c.version}  # noqa: RUF012


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


def through_keel(backend: Backend) -> Operation:
    """(a) container -> CreateAccount -> unit of work -> repositories, command validated."""
    container = backend.container

    def register() -> None:
        container.create_account().execute(command())

    return register


def through_keel_unvalidated(backend: Backend) -> Operation:
    """(a) with the command built by `model_construct`, which skips validation: what the layers
    cost on their own, since (b) and (c) validate nothing either."""
    container = backend.container
    password = SecretStr(PASSWORD)

    def register() -> None:
        command = CreateAccountCommand.model_construct(
            email=unique_email(), password=password, password_confirmation=password
        )
        container.create_account().execute(command)

    return register


def inside_blocks(backend: Backend, blocks: int) -> Operation:
    """(a) inside `blocks` enclosing `uow.transaction()` blocks: the use case's own block
    becomes a savepoint, and every block after the outermost one more savepoint."""
    container = backend.container
    uow: UnitOfWork = container.unit_of_work()

    def register() -> None:
        with contextlib.ExitStack() as enclosing:
            for _ in range(blocks):
                enclosing.enter_context(uow.transaction())
            container.create_account().execute(command())

    return register


def with_a_session(backend: Backend) -> Operation:
    """(b) A hand-written SQLAlchemy Session on the same engine: rows, no domain, no ports."""
    engine = backend.engine
    hasher = cheapest_hasher()

    def register() -> None:
        email = unique_email()
        password_hash = hasher.hash(PASSWORD)
        account_id = uuid.uuid4()
        with Session(engine) as session, session.begin():
            session.add(AccountRow(id=account_id, name=email, seat_limit=5))
            session.add(
                UserRow(
                    id=uuid.uuid4(),
                    account_id=account_id,
                    email=email,
                    password_hash=password_hash,
                    role="admin",
                )
            )

    return register


def with_the_driver(backend: Backend) -> Operation:
    """(c) Raw psycopg 3 or sqlite3: two INSERTs in one transaction on a kept connection."""
    assert backend.raw is not None, "the memory backend has no driver"
    raw = backend.raw
    hasher = cheapest_hasher()

    def register() -> None:
        raw.register(unique_email(), hasher.hash(PASSWORD))

    return register

"""What the example's tests share: a password that passes the rules, cheap hashing, and a
registration to start from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from fastapi.testclient import TestClient
from sqlalchemy import text

from adapters.unit_of_work import InMemoryUnitOfWork
from application.accounts.commands import CreateAccountCommand
from entrypoints.http.app import create_app

if TYPE_CHECKING:
    from tests.support import Backend
    from tests.telemetry_support import Traced

PASSWORD = "correct horse battery staple"


class Hashing(TypedDict):
    """The argon2id settings by name, so that Settings(**CHEAP_HASHING) type-checks."""

    argon2_time_cost: int
    argon2_memory_cost_kib: int
    argon2_parallelism: int


# The real argon2id hasher at its cheapest cost: fast tests, no plaintext stand-in.
CHEAP_HASHING = Hashing(argon2_time_cost=1, argon2_memory_cost_kib=8, argon2_parallelism=1)
# What the example's tests change of the defaults (tests/support.py gathers them).
TEST_SETTINGS: dict[str, object] = {**CHEAP_HASHING}
# The hasher holds no data, only its pool of threads: the first one is kept, so that no test
# starts threads of its own.
KEPT_SINGLETONS = ["password_hasher"]


def registration_body(email: str = "ada@example.com", **overrides: Any) -> dict[str, Any]:
    """A registration's JSON body, as a client posts it."""
    return {"email": email, "password": PASSWORD, "password_confirmation": PASSWORD} | overrides


def registration(email: str = "ada@example.com", **overrides: object) -> CreateAccountCommand:
    fields: dict[str, object] = {
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    return CreateAccountCommand.model_validate(fields | overrides)


def accounts_without_admin(backend: Backend) -> int:
    uow = backend.container.unit_of_work()
    if isinstance(uow, InMemoryUnitOfWork):
        admins_of = {user["account_id"] for user in uow.database.committed("users")}
        return sum(1 for a in uow.database.committed("accounts") if a["id"] not in admins_of)
    orphans = text(
        "SELECT count(*) FROM accounts LEFT OUTER JOIN users"
        " ON users.account_id = accounts.id WHERE users.id IS NULL"
    )
    with backend.container.engine().connect() as connection:
        return int(connection.scalar(orphans))


def register_over_http(traced: Traced, email: str, answer: int = 201) -> str:
    """Registers over HTTP, expecting the answer; the trace id of the request, in hex."""
    with TestClient(create_app(traced.backend.container)) as client:
        assert client.post("/accounts", json=registration_body(email)).status_code == answer
    return f"{traced.served('POST /accounts').context.trace_id:032x}"

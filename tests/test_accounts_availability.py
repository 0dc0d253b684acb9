"""The example when the database is slow or away: 503 with Retry-After, never a 500, and a
pool that recovers from a server that dropped its connections."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bootstrap import Container, build_container
from entrypoints.http.app import create_app
from tests.accounts_support import registration, registration_body
from tests.support import Backend, backend_for, postgres_url, settings_for

# The real cause, as each backend's log names it, of a wait for a lock that ran out.
LOCK_WAIT_CAUSE = {
    "memory": "LockTimeout",
    "sqlite": "OperationalError (sqlite3.OperationalError)",
    "postgres": "SQLSTATE 57014",
}


# The real cause, as each backend's log names it, of a wait for a lock that ran out.
LOCK_WAIT_CAUSE = {
    "memory": "LockTimeout",
    "sqlite": "OperationalError (sqlite3.OperationalError)",
    "postgres": "SQLSTATE 57014",
}


@pytest.fixture
def impatient(backend: Backend) -> Iterator[Container]:
    """The backend's database, reached by a container that waits briefly at most for a lock:
    0.2 s on SQL, 0.05 s on memory, whose wait is exactly that long."""
    timeout = 0.05 if backend.name == "memory" else 0.2
    settings = backend.settings.model_copy(update={"database_statement_timeout_seconds": timeout})
    container = build_container(settings)
    yield container
    if backend.name != "memory":
        container.engine().dispose()


@contextmanager
def hold_registration(container: Container, email: str, held: threading.Event) -> Iterator[None]:
    """Registers email in a transaction of another thread, kept open until the block ends."""
    release = threading.Event()

    def register_and_wait() -> None:
        with container.unit_of_work().transaction():
            container.create_account().execute(registration(email))
            held.set()
            release.wait(10)

    holder = threading.Thread(target=register_and_wait)
    holder.start()
    held.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_a_registration_that_waits_past_the_statement_timeout_answers_503_with_retry_after(
    backend: Backend, impatient: Container, caplog: pytest.LogCaptureFixture
) -> None:
    held = threading.Event()
    with (
        TestClient(create_app(impatient)) as client,
        hold_registration(impatient, "ada@example.com", held),
    ):
        response = client.post("/accounts", json=registration_body("ada@example.com"))

    assert held.is_set()
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "1")
    assert response.json() == {"detail": "unavailable, retry later"}
    assert LOCK_WAIT_CAUSE[backend.name] in caplog.text


@pytest.fixture
def postgres_backend(request: pytest.FixtureRequest) -> Backend:
    return backend_for("postgres", request)


def served_by_its_own_pool(pre_ping: bool) -> tuple[Container, str]:
    """A container on the PostgreSQL under test whose connections carry a name of their own,
    so that a test can find them, and drop them, from the server's side."""
    name = f"keel-test-{uuid.uuid4().hex[:12]}"
    url = f"{postgres_url()}{'&' if '?' in postgres_url() else '?'}application_name={name}"
    settings = settings_for(url).model_copy(update={"database_pool_pre_ping": pre_ping})
    return build_container(settings), name


def drop_connections(admin: Engine, application_name: str) -> int:
    """Terminates every connection of that name, as a server restart or an idle timeout
    would, and waits until the server has closed them; how many there were."""
    named = "FROM pg_stat_activity WHERE application_name = :name"
    with admin.connect() as connection:
        dropped = len(
            connection.execute(
                text(f"SELECT pg_terminate_backend(pid) {named}"), {"name": application_name}
            ).all()
        )
        for _ in range(200):
            connection.commit()  # a transaction sees one snapshot of pg_stat_activity
            if not connection.scalar(text(f"SELECT count(*) {named}"), {"name": application_name}):
                break
            connection.execute(text("SELECT pg_sleep(0.01)"))
    return dropped


@pytest.mark.sql
@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre-ping", "no pre-ping"])
def test_after_the_server_drops_every_pooled_connection_the_next_request_succeeds_by_pre_ping(
    postgres_backend: Backend,
    postgres_engine: Engine,
    pre_ping: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    container, name = served_by_its_own_pool(pre_ping)
    with TestClient(create_app(container)) as client:
        created = client.post("/accounts", json=registration_body("ada@example.com")).json()
        assert drop_connections(postgres_engine, name) >= 1

        response = client.get(f"/accounts/{created['account_id']}")
    container.engine().dispose()

    if pre_ping:
        assert response.status_code == 200
    else:  # what pre-ping spares: the dead connection fails the request, a 503 naming why
        assert (response.status_code, response.headers.get("Retry-After")) == (503, "1")
        assert "OperationalError (psycopg" in caplog.text

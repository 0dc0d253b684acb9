"""Every HTTP request has an id, echoed in its response and carried by each of its log lines;
logs are human-readable lines or JSON objects, and never hold a password or its hash."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient

from application.welcome import QueueWelcomeEmail, QueueWelcomeEmailCommand
from bootstrap import build_container
from domain.notifications import NotificationId
from entrypoints.http.app import create_app
from entrypoints.logs import LogFormat, ServiceLogHandler, configure_logging
from tests.accounts_support import PASSWORD
from tests.support import Backend, settings_for


class UnreachableDatabase:
    """A unit of work whose database refuses every connection: a readiness check logs it."""

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        raise ConnectionRefusedError("database unreachable")


@pytest.fixture
def client() -> Iterator[TestClient]:
    container = build_container(settings_for("memory://"))
    container.unit_of_work.override(providers.Object(UnreachableDatabase()))
    with TestClient(create_app(container)) as client:
        yield client


def logged(log_format: LogFormat) -> io.StringIO:
    lines = io.StringIO()
    configure_logging(log_format, stream=lines)
    return lines


@pytest.fixture(autouse=True)
def keel_handler_removed_afterwards() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
        root.removeHandler(handler)


def test_a_request_without_an_id_gets_one_in_its_response(client: TestClient) -> None:
    response = client.get("/health")

    assert uuid.UUID(response.headers["X-Request-ID"])


def test_a_well_formed_request_id_is_kept_and_echoed(client: TestClient) -> None:
    request_id = uuid.uuid4().hex

    response = client.get("/health", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] == request_id


def test_a_malformed_request_id_is_replaced_by_a_new_one(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "'; DROP TABLE users; --"})

    assert uuid.UUID(response.headers["X-Request-ID"])


def test_each_log_line_of_a_request_carries_its_id(client: TestClient) -> None:
    lines = logged("human")
    request_id = uuid.uuid4().hex

    client.get("/health", headers={"X-Request-ID": request_id})

    failed = [line for line in lines.getvalue().splitlines() if "health check failed" in line]
    assert failed
    assert all(f"[{request_id}]" in line for line in failed)


def test_json_logs_are_one_object_per_line_with_the_request_id(client: TestClient) -> None:
    lines = logged("json")
    request_id = uuid.uuid4().hex

    client.get("/health", headers={"X-Request-ID": request_id})

    records = [json.loads(line) for line in lines.getvalue().splitlines() if line.startswith("{")]
    failed = [r for r in records if "health check failed" in r["message"]]
    assert [r["request_id"] for r in failed] == [request_id]
    assert failed[0]["level"] == "ERROR"


# >>> example
# >>> outbox
REGISTRATION = {"email": "ada@example.com", "password": PASSWORD, "password_confirmation": PASSWORD}


class WelcomeThatFails(QueueWelcomeEmail):
    def execute(self, command: QueueWelcomeEmailCommand) -> NotificationId:
        raise RuntimeError("welcome template missing")


@pytest.mark.parametrize("log_format", ["human", "json"])
def test_a_failed_welcome_is_logged_with_its_request_id_and_never_the_password(
    backend: Backend, log_format: LogFormat
) -> None:
    container = backend.container
    container.queue_welcome_email.override(
        providers.Factory(WelcomeThatFails, uow=container.unit_of_work, clock=container.clock)
    )
    lines = logged(log_format)
    request_id = uuid.uuid4().hex

    with TestClient(create_app(container)) as client:
        client.post("/accounts", json=REGISTRATION, headers={"X-Request-ID": request_id})

    welcome_lines = [
        line for line in lines.getvalue().splitlines() if "registration stands" in line
    ]
    assert len(welcome_lines) == 1
    assert request_id in welcome_lines[0]
    assert PASSWORD not in lines.getvalue()
    assert "argon2" not in lines.getvalue()


# <<< outbox
# <<< example


def test_a_log_line_outside_a_request_says_so() -> None:
    lines = logged("human")

    logging.getLogger("keel.test").warning("nothing to do")

    assert "[-] keel.test: nothing to do" in lines.getvalue()


# >>> example
# >>> outbox
def test_the_relays_lines_about_an_email_carry_the_id_of_the_request_that_queued_it(
    backend: Backend,
) -> None:
    request_id = uuid.uuid4().hex
    with TestClient(create_app(backend.container)) as client:
        client.post("/accounts", json=REGISTRATION, headers={"X-Request-ID": request_id})
    lines = logged("human")

    backend.container.relay().drain()

    relay_lines = [
        line for line in lines.getvalue().splitlines() if "application.outbox.relay" in line
    ]
    assert relay_lines
    assert all(f"[{request_id}]" in line for line in relay_lines)


# <<< outbox
# <<< example

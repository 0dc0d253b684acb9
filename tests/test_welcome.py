"""The welcome email a registration queues, where both the example and the outbox are: it is
optional, committed with the registration, and sent by the relay after it, on every backend."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from hypothesis.stateful import rule
from opentelemetry.trace import SpanKind

from application.kit.errors import TransientStorageError
from application.outbox.ports import DeliveryStatus
from application.welcome import QueueWelcomeEmail, QueueWelcomeEmailCommand
from domain.accounts import EmailAlreadyRegistered
from domain.email import Email
from domain.notifications import DuplicateNotification, NotificationId
from entrypoints.http.app import create_app
from entrypoints.logs import LogFormat
from tests.accounts_differential import EMAILS, AccountsEverywhere, AccountsWorld, worlds
from tests.accounts_support import PASSWORD, register_over_http, registration, registration_body
from tests.kit.differential import outcome, run_differential
from tests.outbox_support import recorded
from tests.support import SQL_BACKENDS, Backend, Logged
from tests.telemetry_support import Traced


class WelcomeThatFailsAfterWriting(QueueWelcomeEmail):
    """Queues its email, then fails, with no block of its own around both: an optional step
    gone bad, whose write only the caller's block can undo."""

    def execute(self, command: QueueWelcomeEmailCommand) -> NotificationId:
        super().execute(command)
        raise RuntimeError("welcome template missing")


def test_registration_commits_one_pending_welcome_that_the_relay_then_sends(
    backend: Backend,
) -> None:
    created = backend.container.register_account().execute(registration("ada@example.com"))

    with backend.uow.transaction():
        notifications = backend.uow.notifications.about(str(created.user_id))
        pending = backend.uow.outbox.counts()[DeliveryStatus.PENDING]
    backend.container.relay().drain()
    assert [n.recipient for n in notifications] == [Email("ada@example.com")]
    assert pending == 1
    assert [m.recipient for m in recorded(backend).sent] == [Email("ada@example.com")]
    assert recorded(backend).sent[0].body == "Hello ada@example.com, your account is ready."


def test_a_failed_welcome_step_keeps_the_registration_without_notification_or_email(
    backend: Backend,
) -> None:
    container = backend.container
    container.queue_welcome_email.override(
        providers.Factory(
            WelcomeThatFailsAfterWriting, uow=container.unit_of_work, clock=container.clock
        )
    )

    created = container.register_account().execute(registration("ada@example.com"))
    container.relay().drain()

    with backend.uow.transaction():
        assert backend.uow.users.get(created.user_id).email == Email("ada@example.com")
    assert backend.rows("notifications") == 0
    assert recorded(backend).sent == []


class WelcomeThatLosesTheConnection(QueueWelcomeEmail):
    def execute(self, command: QueueWelcomeEmailCommand) -> NotificationId:
        raise TransientStorageError("OperationalError (psycopg.errors.AdminShutdown)")


def test_a_database_failing_for_a_moment_in_the_welcome_step_fails_the_whole_registration(
    backend: Backend,
) -> None:
    container = backend.container
    container.queue_welcome_email.override(
        providers.Factory(
            WelcomeThatLosesTheConnection, uow=container.unit_of_work, clock=container.clock
        )
    )

    with pytest.raises(TransientStorageError, match="AdminShutdown"):
        container.register_account().execute(registration("ada@example.com"))

    assert (backend.rows("accounts"), backend.rows("users")) == (0, 0)


def test_a_failed_account_step_queues_no_second_welcome_and_sends_no_second_email(
    backend: Backend,
) -> None:
    register = backend.container.register_account()
    register.execute(registration("ada@example.com"))

    with pytest.raises(EmailAlreadyRegistered):
        register.execute(registration("ada@example.com"))

    backend.container.relay().drain()
    assert backend.rows("notifications") == 1
    assert len(recorded(backend).sent) == 1


def test_queueing_a_second_welcome_for_a_user_is_refused_as_a_duplicate(backend: Backend) -> None:
    created = backend.container.register_account().execute(registration("ada@example.com"))
    again = QueueWelcomeEmailCommand(user_id=created.user_id, email="ada@example.com")

    with pytest.raises(DuplicateNotification):
        backend.container.queue_welcome_email().execute(again)

    assert backend.rows("notifications") == 1


def test_the_relays_send_of_a_welcome_links_to_the_registration_that_queued_it(
    traced_backend: Traced,
) -> None:
    registration = register_over_http(traced_backend, "ada@example.com")

    traced_backend.backend.container.relay().drain()

    [register] = traced_backend.named("RegisterAccount")
    [send] = traced_backend.named("send notification")
    assert f"{send.context.trace_id:032x}" != registration
    assert [f"{link.context.trace_id:032x}" for link in send.links] == [registration]
    assert send.attributes is not None
    key = "keel.request_id"
    assert send.attributes[key] == register.attributes[key]  # type: ignore[index]


def test_on_sql_backends_the_welcome_is_written_in_the_registrations_trace_after_its_user(
    traced_sql_backend: Traced,
) -> None:
    registration = register_over_http(traced_sql_backend, "ada@example.com")

    texts = [
        str((span.attributes or {}).get("db.statement", ""))
        for span in traced_sql_backend.in_trace(registration)
        if span.kind == SpanKind.CLIENT
    ]
    inserts = [text.split()[2] for text in texts if text.startswith("INSERT INTO")]
    assert inserts == ["accounts", "users", "notifications"]


class WelcomeThatFails(QueueWelcomeEmail):
    def execute(self, command: QueueWelcomeEmailCommand) -> NotificationId:
        raise RuntimeError("welcome template missing")


@pytest.mark.parametrize("log_format", ["human", "json"])
def test_a_failed_welcome_is_logged_with_its_request_id_and_never_the_password(
    backend: Backend, log_format: LogFormat, logged: Logged
) -> None:
    container = backend.container
    container.queue_welcome_email.override(
        providers.Factory(WelcomeThatFails, uow=container.unit_of_work, clock=container.clock)
    )
    lines = logged(log_format)
    request_id = uuid.uuid4().hex

    with TestClient(create_app(container)) as client:
        client.post("/accounts", json=registration_body(), headers={"X-Request-ID": request_id})

    welcome_lines = [
        line for line in lines.getvalue().splitlines() if "registration stands" in line
    ]
    assert len(welcome_lines) == 1
    assert request_id in welcome_lines[0]
    assert PASSWORD not in lines.getvalue()
    assert "argon2" not in lines.getvalue()


def test_the_relays_lines_about_an_email_carry_the_id_of_the_request_that_queued_it(
    backend: Backend, logged: Logged
) -> None:
    request_id = uuid.uuid4().hex
    with TestClient(create_app(backend.container)) as client:
        client.post("/accounts", json=registration_body(), headers={"X-Request-ID": request_id})
    lines = logged("human")

    backend.container.relay().drain()

    relay_lines = [
        line for line in lines.getvalue().splitlines() if "application.outbox.relay" in line
    ]
    assert relay_lines
    assert all(f"[{request_id}]" in line for line in relay_lines)


class WelcomeWorld(AccountsWorld):
    """The example's world, with the welcomes each user was queued and what the relay sent."""

    def relay(self, minutes_later: int) -> str:
        self.clock.advance(timedelta(minutes=minutes_later))
        return outcome(self.backend.container.relay().drain)

    def state(self) -> object:
        with self.uow.transaction():
            users = [self.uow.users.get_by_email(Email(email)) for email in EMAILS]
            welcomes = [
                u and [n.kind for n in self.uow.notifications.about(str(u.id))] for u in users
            ]
        sent = len(recorded(self.backend).sent)
        return super().state(), welcomes, self.backend.rows("notifications"), sent


class WelcomesEverywhere(AccountsEverywhere):
    @rule(minutes_later=st.integers(min_value=0, max_value=10))
    def relay(self, minutes_later: int) -> None:
        self.both(lambda world: world.relay(minutes_later))


@pytest.mark.parametrize("database", SQL_BACKENDS)
def test_the_memory_backend_queues_and_relays_welcomes_like_the_database(
    database: str, request: pytest.FixtureRequest
) -> None:
    run_differential(WelcomesEverywhere, worlds(WelcomeWorld, database, request))

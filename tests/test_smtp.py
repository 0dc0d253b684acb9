"""Email through a real SMTP server (aiosmtpd), one for the module, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from adapters.kit.clock import ManualClock
from adapters.outbox.email import SmtpEmailSender
from application.outbox.ports import DeliveryStatus
from application.outbox.relay import NotificationRelay, RetryPolicy
from application.outbox.use_cases import RetryNotificationCommand
from tests.outbox_support import SENDER, Inbox, free_port, queue_emails
from tests.support import Backend

BASE_DELAY = timedelta(seconds=30)


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture(scope="module")
def module_smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(module_smtp_server: SmtpServer) -> SmtpServer:
    """The module's server, running (a test may have stopped it), its inbox empty."""
    module_smtp_server.start()
    module_smtp_server.inbox.clear()
    return module_smtp_server


@pytest.fixture(scope="module")
def smtp_sender(module_smtp_server: SmtpServer) -> SmtpEmailSender:
    # One for the module: a sender loads the system's CA certificates when it is built
    # (tens of milliseconds), even for plain SMTP.
    return SmtpEmailSender("127.0.0.1", module_smtp_server.port, "none", sender=SENDER)


@pytest.fixture
def relay(
    backend: Backend, smtp_server: SmtpServer, smtp_sender: SmtpEmailSender, clock: ManualClock
) -> NotificationRelay:
    policy = RetryPolicy(max_attempts=4, base_delay=BASE_DELAY)
    return NotificationRelay(backend.uow, smtp_sender, clock, policy, jitter=lambda: 0.0)


def test_a_queued_email_arrives_with_recipient_subject_body_and_idempotency_key(
    backend: Backend, relay: NotificationRelay, smtp_server: SmtpServer
) -> None:
    queue_emails(backend.uow, 1)

    relay.drain()

    [message] = smtp_server.inbox.messages
    assert message["To"] == "user0@example.com"
    assert message["Subject"] == "Reminder"
    assert str(message.get_payload()).strip() == "Hello"
    assert message["Idempotency-Key"] == "reminder:0"
    assert message["Message-ID"] == "<reminder.0@example.com>"
    assert smtp_server.inbox.envelopes == [(SENDER, ["user0@example.com"])]


def test_with_smtp_down_the_email_is_retried_ever_later_then_dead_then_revived_and_sent(
    backend: Backend, relay: NotificationRelay, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    smtp_server.stop()

    first = relay.drain()
    waits = []
    for expected in (BASE_DELAY / 2, BASE_DELAY, BASE_DELAY * 2):
        clock.advance(expected - timedelta(seconds=1))
        early = relay.drain()
        clock.advance(timedelta(seconds=1))
        waits.append((early.claimed, relay.drain().claimed))
    outbox = backend.container.get_outbox_status().execute()

    assert first.retried == 1
    assert waits == [(0, 1), (0, 1), (0, 1)]
    assert outbox.counts[DeliveryStatus.DEAD] == 1
    [dead] = outbox.dead
    assert dead.attempts == 4
    assert "ConnectionRefusedError" in dead.last_error

    backend.container.retry_dead_notification().execute(
        RetryNotificationCommand(notification_id=dead.notification_id)
    )
    smtp_server.start()
    revived = relay.drain()

    assert revived.sent == 1
    assert [m["To"] for m in smtp_server.inbox.messages] == ["user0@example.com"]
    assert backend.container.get_outbox_status().execute().counts[DeliveryStatus.SENT] == 1

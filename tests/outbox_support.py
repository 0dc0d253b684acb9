"""What the outbox's tests share: emails recorded instead of sent, and emails to queue."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import TYPE_CHECKING, Any

from adapters.kit.clock import ManualClock
from adapters.outbox.email import RecordingEmailSender
from application.outbox.ports import (
    DeliveryStatus,
    EmailMessage,
    EmailSender,
    OutboxEntry,
    OutboxUnitOfWork,
)
from application.outbox.relay import FailedAttempt, NotificationRelay, RelayReport, RetryPolicy
from domain.email import Email
from domain.notifications import Notification

if TYPE_CHECKING:
    from tests.support import Backend

# What the outbox's tests change of the defaults (tests/support.py gathers them).
TEST_SETTINGS: dict[str, object] = {"email_sender": "recording"}


def recorded(backend: Backend) -> RecordingEmailSender:
    """The backend's email sender, which records what it is given."""
    sender = backend.container.email_sender()
    assert isinstance(sender, RecordingEmailSender)
    return sender


def queue_emails(uow: OutboxUnitOfWork, count: int, first: int = 0) -> None:
    """Queues count emails due now, each its own notification (about first, first + 1, ...),
    as a use case would."""
    with uow.transaction():
        for number in range(first, first + count):
            recipient = Email(f"user{number}@example.com")
            notification = Notification.create("reminder", str(number), recipient)
            message = EmailMessage(recipient, "Reminder", "Hello", notification.idempotency_key)
            uow.notifications.add(notification, message, ManualClock().now())


LEASE = timedelta(minutes=1)


def relay(
    backend: Backend,
    sender: EmailSender,
    clock: ManualClock,
    kind: type[NotificationRelay] = NotificationRelay,
    batch_size: int = 100,
) -> NotificationRelay:
    policy = RetryPolicy(max_attempts=4, base_delay=timedelta(seconds=30))
    return kind(backend.uow, sender, clock, policy, batch_size, lease=LEASE, jitter=lambda: 0.0)


def status(backend: Backend) -> dict[DeliveryStatus, int]:
    counts: dict[DeliveryStatus, int] = backend.container.get_outbox_status().execute().counts
    return counts


class RelayKilled(Exception):
    """A relay's death, between sending a batch and recording it."""


class RelayThatDiesBeforeMarking(NotificationRelay):
    """Sends a batch, then dies before recording it: the crash at-least-once delivery is about."""

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        raise RelayKilled("between send and mark")


class RelayThatDiesOnItsSecondBatch(NotificationRelay):
    """Records its first batch, then sends the second and dies before recording it."""

    recorded_batches = 0

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        if self.recorded_batches == 1:
            raise RelayKilled("between send and mark")
        self.recorded_batches += 1
        return super()._record(sent, failed)


# The address the tests' SMTP senders send from.
SENDER = "keel@example.com"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO)

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on now, for a test's own server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

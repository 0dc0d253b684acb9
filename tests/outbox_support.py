"""What the outbox's tests share: emails recorded instead of sent, and emails to queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.kit.clock import ManualClock
from adapters.outbox.email import RecordingEmailSender
from application.outbox.ports import EmailMessage, OutboxUnitOfWork
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

"""Use cases about notifications: the messages owed to users."""

from __future__ import annotations

from application.commands import QueueWelcomeEmailCommand
from application.kit.use_case import UseCase
from application.ports import Clock, EmailMessage, UnitOfWork
from domain.email import Email
from domain.notifications import Notification, NotificationId


def welcome_message(notification: Notification) -> EmailMessage:
    return EmailMessage(
        recipient=notification.recipient,
        subject="Welcome to keel",
        body=f"Hello {notification.recipient}, your account is ready.",
        idempotency_key=notification.idempotency_key,
    )


class QueueWelcomeEmail(UseCase[QueueWelcomeEmailCommand, NotificationId]):
    """Queues a welcome email for the user in the outbox, in the caller's transaction.

    Nothing is sent here: an email cannot be rolled back. The relay sends it once the
    transaction has committed, and never if it rolls back.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def execute(self, command: QueueWelcomeEmailCommand) -> NotificationId:
        # Joined, not a savepoint: a caller that wants the welcome optional opens one.
        with self._uow.transaction(savepoint=False):
            notification = Notification.create(
                "welcome", str(command.user_id), Email(command.email)
            )
            self._uow.notifications.add(
                notification, welcome_message(notification), due_at=self._clock.now()
            )
        return notification.id

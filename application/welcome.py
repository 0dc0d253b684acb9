"""The welcome email a registration queues: the example's use of the outbox, here only where
both are."""

from __future__ import annotations

import uuid

from application.accounts.ports import Registered
from application.kit.ports import Clock
from application.kit.use_case import Command, UseCase
from application.outbox.ports import EmailMessage, OutboxUnitOfWork
from domain.email import Email
from domain.notifications import Notification, NotificationId


class QueueWelcomeEmailCommand(Command):
    user_id: uuid.UUID
    # The address is the user's, validated when they registered: the domain's Email checks
    # its shape again, without a second (costly) deliverability-grade validation.
    email: str


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

    def __init__(self, uow: OutboxUnitOfWork, clock: Clock) -> None:
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

    def follow_up(self, registered: Registered) -> None:
        """Queues the welcome of a user just registered: RegisterAccount's FollowUp."""
        self.execute(
            QueueWelcomeEmailCommand(user_id=registered.user_id, email=registered.email.value)
        )

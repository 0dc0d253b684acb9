"""Use cases about notifications: the messages owed to users."""

from __future__ import annotations

from application.commands import SendWelcomeEmailCommand
from application.ports import EmailMessage, EmailSender, UnitOfWork
from application.use_case import UseCase
from domain.accounts import UserId
from domain.notifications import Notification, NotificationId


def welcome_message(notification: Notification) -> EmailMessage:
    return EmailMessage(
        recipient=notification.recipient,
        subject="Welcome to keel",
        body=f"Hello {notification.recipient}, your account is ready.",
        idempotency_key=notification.idempotency_key,
    )


class SendWelcomeEmailUseCase(UseCase[SendWelcomeEmailCommand, NotificationId]):
    """Records that a user is owed a welcome email and sends it once the transaction commits."""

    def __init__(self, uow: UnitOfWork, email_sender: EmailSender) -> None:
        self._uow = uow
        self._email_sender = email_sender

    def execute(self, command: SendWelcomeEmailCommand) -> NotificationId:
        with self._uow.transaction():
            user = self._uow.users.get(UserId(command.user_id))
            notification = Notification.welcome(user)
            self._uow.notifications.add(notification)
            message = welcome_message(notification)
            self._uow.on_commit(lambda: self._email_sender.send(message))
        return notification.id

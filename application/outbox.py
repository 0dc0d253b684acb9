"""Use cases for operating the outbox: what is waiting, what died, and putting it back."""

from __future__ import annotations

from dataclasses import dataclass

from application.commands import RetryNotificationCommand
from application.kit.use_case import UseCase
from application.ports import Clock, DeadNotification, DeliveryStatus, UnitOfWork
from domain.notifications import NotificationId


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[DeliveryStatus, int]
    dead: list[DeadNotification]


class GetOutboxStatus:
    """How many notifications are pending, sent and dead, and why the dead ones failed."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self) -> OutboxStatus:
        with self._uow.transaction():
            return OutboxStatus(counts=self._uow.outbox.counts(), dead=self._uow.outbox.dead())


class RetryDeadNotification(UseCase[RetryNotificationCommand, None]):
    """Puts a dead notification back in line, due now, with a fresh count of attempts."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def execute(self, command: RetryNotificationCommand) -> None:
        with self._uow.transaction():
            self._uow.outbox.revive(NotificationId(command.notification_id), self._clock.now())

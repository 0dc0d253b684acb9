"""Use cases for operating the outbox: what is waiting, what died, and putting it back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.kit.ports import Clock
from application.kit.use_case import Command, UseCase
from application.outbox.ports import DeadNotification, DeliveryStatus, OutboxUnitOfWork
from domain.notifications import NotificationId


class RetryNotificationCommand(Command):
    notification_id: uuid.UUID


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[DeliveryStatus, int]
    dead: list[DeadNotification]


class GetOutboxStatus:
    """How many notifications are pending, sent and dead, and why the dead ones failed."""

    def __init__(self, uow: OutboxUnitOfWork) -> None:
        self._uow = uow

    def execute(self) -> OutboxStatus:
        with self._uow.transaction():
            return OutboxStatus(counts=self._uow.outbox.counts(), dead=self._uow.outbox.dead())


class RetryDeadNotification(UseCase[RetryNotificationCommand, None]):
    """Puts a dead notification back in line, due now, with a fresh count of attempts."""

    def __init__(self, uow: OutboxUnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def execute(self, command: RetryNotificationCommand) -> None:
        with self._uow.transaction():
            self._uow.outbox.revive(NotificationId(command.notification_id), self._clock.now())

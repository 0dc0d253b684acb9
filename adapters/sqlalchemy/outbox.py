"""The notifications table, seen two ways: as the domain's notifications, and as the outbox
the relay delivers from. Same session discipline as repositories.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sqlalchemy.models import (
    NotificationRow,
    notification_entity,
    notification_row,
    outbox_entry,
)
from adapters.sqlalchemy.repositories import SessionRepository, translated, violates_unique
from application.errors import NotFound
from application.ports import DeadNotification, DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import Email, UserId
from domain.errors import DuplicateNotification
from domain.notifications import Notification, NotificationId


class SqlAlchemyNotifications(SessionRepository):
    @translated
    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        self._session.add(notification_row(notification, message, due_at))
        try:
            self._flush()
        except IntegrityError as error:
            if violates_unique(error, "notifications", "idempotency_key"):
                duplicate = DuplicateNotification(notification.idempotency_key)
                raise self._transaction.doom(duplicate) from None
            raise

    @translated
    def for_user(self, user_id: UserId) -> list[Notification]:
        rows = self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.user_id == user_id)
            .order_by(NotificationRow.kind)
        )
        return [notification_entity(row) for row in rows]


class SqlAlchemyOutbox(SessionRepository):
    @translated
    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEntry]:
        row = NotificationRow
        due = (
            select(row)
            .where(
                row.status == DeliveryStatus.PENDING.value,
                row.next_attempt_at <= now,
                or_(row.claimed_until.is_(None), row.claimed_until <= now),
            )
            .order_by(row.next_attempt_at, row.id)
            .limit(limit)
            # PostgreSQL: relays side by side skip the rows another is claiming, so no row is
            # claimed twice. SQLite ignores it: BEGIN IMMEDIATE already serialises relays.
            .with_for_update(skip_locked=True)
        )
        claimed = self._session.scalars(due).all()
        for notification in claimed:
            notification.claimed_until = lease_until
        self._flush()
        return [outbox_entry(notification, lease_until) for notification in claimed]

    @translated
    def mark_sent(self, entry: OutboxEntry) -> bool:
        return self._update_leased(
            entry, status=DeliveryStatus.SENT, attempts=entry.attempts + 1, claimed_until=None
        )

    @translated
    def mark_failed(self, entry: OutboxEntry, error: str, retry_at: datetime | None) -> bool:
        rescheduled = {} if retry_at is None else {"next_attempt_at": retry_at}
        return self._update_leased(
            entry,
            status=DeliveryStatus.DEAD if retry_at is None else DeliveryStatus.PENDING,
            attempts=entry.attempts + 1,
            claimed_until=None,
            last_error=error,
            **rescheduled,
        )

    @translated
    def revive(self, notification_id: NotificationId, due_at: datetime) -> None:
        revived = self._updated(
            update(NotificationRow)
            .where(
                NotificationRow.id == notification_id,
                NotificationRow.status == DeliveryStatus.DEAD.value,
            )
            .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=due_at)
        )
        if not revived:
            raise NotFound("dead notification", notification_id)

    @translated
    def counts(self) -> dict[DeliveryStatus, int]:
        by_status = dict(
            self._session.execute(
                select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
            )
            .tuples()
            .all()
        )
        return {status: by_status.get(status.value, 0) for status in DeliveryStatus}

    @translated
    def dead(self) -> list[DeadNotification]:
        rows = self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.status == DeliveryStatus.DEAD.value)
            .order_by(NotificationRow.id)
        )
        return [
            DeadNotification(
                NotificationId(row.id), Email(row.recipient), row.attempts, row.last_error or ""
            )
            for row in rows
        ]

    def _update_leased(self, entry: OutboxEntry, **values: object) -> bool:
        """Updates the row only while the entry's lease is still the row's lease."""
        return self._updated(
            update(NotificationRow)
            .where(
                NotificationRow.id == entry.notification_id,
                NotificationRow.status == DeliveryStatus.PENDING.value,
                NotificationRow.claimed_until == entry.lease_until,
            )
            .values(**values)
        )

    def _updated(self, statement: Update) -> bool:
        result = cast(CursorResult[Any], self._session.execute(statement))
        return result.rowcount == 1

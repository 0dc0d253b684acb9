"""The notifications table, seen two ways: as the domain's notifications, and as the outbox
the relay delivers from. Same discipline as repositories.py."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any

from adapters.memory.repositories import MemoryRepository
from application.errors import NotFound
from application.ports import DeadNotification, DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import UserId
from domain.errors import DuplicateNotification
from domain.notifications import Notification, NotificationId


@dataclasses.dataclass
class OutboxRecord:
    """A notification as the outbox stores it: what to send and how delivery is going."""

    notification: Notification
    message: EmailMessage
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    last_error: str | None = None

    def is_due(self, now: datetime) -> bool:
        leased = self.claimed_until is not None and self.claimed_until > now
        return self.status is DeliveryStatus.PENDING and self.next_attempt_at <= now and not leased


class InMemoryNotifications(MemoryRepository):
    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        key = notification.idempotency_key
        self._rows.lock(("notifications.idempotency_key", key))
        if self._rows.find("notifications", "idempotency_key", key) is not None:
            raise self._transaction.doom(DuplicateNotification(key))
        self._require_absent("notifications", notification.id)
        self._require_present("users", notification.user_id)
        record = OutboxRecord(copy.copy(notification), message, next_attempt_at=due_at)
        self._rows.put("notifications", notification.id, record, unique={"idempotency_key": key})

    def for_user(self, user_id: UserId) -> list[Notification]:
        records: list[OutboxRecord] = self._rows.scan(
            "notifications", lambda record: record.notification.user_id == user_id
        )
        # The row is copied, not the notification inside it: copy it, so a read stays a copy.
        return sorted((copy.copy(r.notification) for r in records), key=lambda n: n.kind)


class InMemoryOutbox(MemoryRepository):
    """The outbox for one relay at a time: claims are not meant for concurrent relays."""

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEntry]:
        due: list[OutboxRecord] = self._rows.scan("notifications", lambda r: r.is_due(now))
        due.sort(key=lambda record: (record.next_attempt_at, record.notification.id))
        claimed = []
        for candidate in due[:limit]:
            notification_id = candidate.notification.id
            self._rows.lock(("notifications", notification_id))
            record = self._record(notification_id)
            if record.is_due(now):  # read again under the lock, as PostgreSQL re-checks
                self._store(dataclasses.replace(record, claimed_until=lease_until))
                claimed.append(
                    OutboxEntry(notification_id, record.message, record.attempts, lease_until)
                )
        return claimed

    def mark_sent(self, entry: OutboxEntry) -> bool:
        return self._update_leased(
            entry, status=DeliveryStatus.SENT, attempts=entry.attempts + 1, claimed_until=None
        )

    def mark_failed(self, entry: OutboxEntry, error: str, retry_at: datetime | None) -> bool:
        rescheduled = {} if retry_at is None else {"next_attempt_at": retry_at}
        return self._update_leased(
            entry,
            status=DeliveryStatus.DEAD if retry_at is None else DeliveryStatus.PENDING,
            attempts=entry.attempts + 1,
            claimed_until=None,
            **rescheduled,
            last_error=error,
        )

    def revive(self, notification_id: NotificationId, due_at: datetime) -> None:
        self._rows.lock(("notifications", notification_id))  # then read, as UPDATE does
        record: OutboxRecord | None = self._rows.get("notifications", notification_id)
        if record is None or record.status is not DeliveryStatus.DEAD:
            raise NotFound("dead notification", notification_id)
        self._store(
            dataclasses.replace(
                record, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=due_at
            )
        )

    def counts(self) -> dict[DeliveryStatus, int]:
        records: list[OutboxRecord] = self._rows.scan("notifications", lambda _: True)
        return {s: sum(1 for r in records if r.status is s) for s in DeliveryStatus}

    def dead(self) -> list[DeadNotification]:
        records: list[OutboxRecord] = self._rows.scan(
            "notifications", lambda r: r.status is DeliveryStatus.DEAD
        )
        return [
            DeadNotification(r.notification.id, r.message.recipient, r.attempts, r.last_error or "")
            for r in sorted(records, key=lambda r: r.notification.id)
        ]

    def _record(self, notification_id: NotificationId) -> OutboxRecord:
        record: OutboxRecord | None = self._rows.get("notifications", notification_id)
        if record is None:
            raise NotFound("notification", notification_id)
        return record

    def _update_leased(self, entry: OutboxEntry, **changes: Any) -> bool:
        """Updates the record only while the entry's lease is still the record's lease."""
        self._rows.lock(("notifications", entry.notification_id))
        record: OutboxRecord | None = self._rows.get("notifications", entry.notification_id)
        if record is None or record.status is not DeliveryStatus.PENDING:
            return False
        if record.claimed_until != entry.lease_until:
            return False
        self._store(dataclasses.replace(record, **changes))
        return True

    def _store(self, record: OutboxRecord) -> None:
        self._rows.put("notifications", record.notification.id, record)

"""The outbox the relay delivers from, on the notifications table, in memory. Meant for one
relay at a time: claims do not skip rows another relay is claiming."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.storage import Row
from adapters.outbox.tables import notifications, outbox_entry
from application.outbox.ports import DeadNotification, DeliveryStatus, OutboxEntry
from domain.email import Email
from domain.errors import NotFound
from domain.notifications import NotificationId

PENDING, SENT, DEAD = (
    DeliveryStatus.PENDING.value,
    DeliveryStatus.SENT.value,
    DeliveryStatus.DEAD.value,
)


def _is_due(row: Row, now: datetime) -> bool:
    leased = row["claimed_until"] is not None and row["claimed_until"] > now
    return row["status"] == PENDING and row["next_attempt_at"] <= now and not leased


class InMemoryOutbox:
    def __init__(self, rows: MemoryTransaction) -> None:
        self._rows = rows

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEntry]:
        due = self._rows.scan(notifications, lambda row: _is_due(row, now))
        due.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
        claimed = []
        for candidate in due[:limit]:
            key = (candidate["id"],)
            # Read again under the lock, as PostgreSQL re-checks a row it waited for.
            row = self._rows.get(notifications, key, for_update=True)
            if row is not None and _is_due(row, now):
                self._rows.update(notifications, key, {"claimed_until": lease_until}, {})
                claimed.append(outbox_entry(row, lease_until))
        return claimed

    def mark_sent(self, entries: Sequence[OutboxEntry]) -> set[NotificationId]:
        return {
            entry.notification_id
            for entry in entries
            if self._update_leased(
                entry, status=SENT, attempts=entry.attempts + 1, claimed_until=None
            )
        }

    def mark_failed(self, entry: OutboxEntry, error: str, retry_at: datetime | None) -> bool:
        rescheduled = {} if retry_at is None else {"next_attempt_at": retry_at}
        return self._update_leased(
            entry,
            status=DEAD if retry_at is None else PENDING,
            attempts=entry.attempts + 1,
            claimed_until=None,
            last_error=error,
            **rescheduled,
        )

    def revive(self, notification_id: NotificationId, due_at: datetime) -> None:
        revived = self._rows.update(
            notifications,
            (notification_id,),
            {"status": PENDING, "attempts": 0, "next_attempt_at": due_at},
            {"status": DEAD},
        )
        if not revived:
            raise NotFound("dead notification", notification_id)

    def counts(self) -> dict[DeliveryStatus, int]:
        statuses = [row["status"] for row in self._rows.scan(notifications, lambda _: True)]
        return {status: statuses.count(status.value) for status in DeliveryStatus}

    def dead(self) -> list[DeadNotification]:
        rows = self._rows.scan(notifications, lambda row: row["status"] == DEAD)
        return [
            DeadNotification(
                NotificationId(row["id"]),
                Email(row["recipient"]),
                row["attempts"],
                row["last_error"] or "",
            )
            for row in sorted(rows, key=lambda row: row["id"])
        ]

    def _update_leased(self, entry: OutboxEntry, **values: Any) -> bool:
        """Updates the row only while the entry's lease is still the row's lease."""
        return self._rows.update(
            notifications,
            (entry.notification_id,),
            values,
            {"status": PENDING, "claimed_until": entry.lease_until},
        )

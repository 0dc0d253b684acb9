"""The outbox the relay delivers from, on the notifications table, in SQL. Several relays
may run side by side on PostgreSQL: claims skip the rows another relay is claiming."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Update, func, or_, select

from adapters.kit.sqlalchemy.database import SqlRows
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


class SqlOutbox:
    def __init__(self, rows: SqlRows) -> None:
        self._rows = rows

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEntry]:
        table = notifications.c
        due = (
            select(table.id)
            .where(
                table.status == PENDING,
                table.next_attempt_at <= now,
                or_(table.claimed_until.is_(None), table.claimed_until <= now),
            )
            .order_by(table.next_attempt_at, table.id)
            .limit(limit)
            # PostgreSQL: relays side by side skip the rows another is claiming, so no row is
            # claimed twice. SQLite ignores it: BEGIN IMMEDIATE already serialises relays.
            .with_for_update(skip_locked=True)
            # Run once, before the UPDATE: as a plain subquery, a plan could run it again (and
            # lock more rows) or join it against the whole table.
            .cte("due")
            .prefix_with("MATERIALIZED")
        )
        # One statement finds, leases and returns the batch: no second one listing its ids.
        claim = (
            notifications.update()
            .where(table.id == due.c.id)
            .values(claimed_until=lease_until)
            .returning(*notifications.c)
        )
        claimed = sorted(  # RETURNING keeps no order
            (dict(row) for row in self._rows.execute(claim).mappings()),
            key=lambda row: (row["next_attempt_at"], row["id"]),
        )
        return [outbox_entry(row, lease_until) for row in claimed]

    def mark_sent(self, entries: Sequence[OutboxEntry]) -> set[NotificationId]:
        ids_by_lease: dict[datetime, list[NotificationId]] = defaultdict(list)
        for entry in entries:
            ids_by_lease[entry.lease_until].append(entry.notification_id)
        table = notifications.c
        marked: set[NotificationId] = set()
        for lease_until, ids in ids_by_lease.items():
            # One statement for a relay's whole batch. Each row counts its own attempt: while
            # the lease holds, attempts is the entry's, as only the lease holder changes it.
            leased = (
                notifications.update()
                .where(
                    table.id.in_(ids),
                    table.status == PENDING,
                    table.claimed_until == lease_until,
                )
                .values(status=SENT, attempts=table.attempts + 1, claimed_until=None)
                .returning(table.id)
            )
            marked.update(NotificationId(id_) for id_ in self._rows.execute(leased).scalars())
        return marked

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
        table = notifications.c
        dead = notifications.update().where(table.id == notification_id, table.status == DEAD)
        if not self._updated(dead, status=PENDING, attempts=0, next_attempt_at=due_at):
            raise NotFound("dead notification", notification_id)

    def counts(self) -> dict[DeliveryStatus, int]:
        table = notifications.c
        by_status = select(table.status, func.count()).group_by(table.status)
        counted: dict[str, int] = dict(self._rows.execute(by_status).all())
        return {status: counted.get(status.value, 0) for status in DeliveryStatus}

    def dead(self) -> list[DeadNotification]:
        table = notifications.c
        rows = self._rows.execute(
            select(table.id, table.recipient, table.attempts, table.last_error)
            .where(table.status == DEAD)
            .order_by(table.id)
        )
        return [
            DeadNotification(NotificationId(id_), Email(recipient), attempts, last_error or "")
            for id_, recipient, attempts, last_error in rows
        ]

    def _update_leased(self, entry: OutboxEntry, **values: Any) -> bool:
        """Updates the row only while the entry's lease is still the row's lease."""
        table = notifications.c
        leased = notifications.update().where(
            table.id == entry.notification_id,
            table.status == PENDING,
            table.claimed_until == entry.lease_until,
        )
        return self._updated(leased, **values)

    def _updated(self, statement: Update, **values: Any) -> bool:
        """Runs the UPDATE; True if it changed at least one row."""
        return self._rows.execute(statement.values(**values)).rowcount > 0

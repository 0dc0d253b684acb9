"""The outbox's repositories: notifications written with the emails that deliver them, and
the outbox the relay claims them from, on either backend."""

from __future__ import annotations

from datetime import datetime

from asgi_correlation_id import correlation_id

from adapters.kit.guard import repository
from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.sqlalchemy.database import SqlRows
from adapters.kit.storage import RowStore, UniqueViolation
from adapters.outbox.in_memory import InMemoryOutbox
from adapters.outbox.sql import SqlOutbox
from adapters.outbox.tables import notification_entity, notification_row, notifications
from adapters.outbox.telemetry import current_traceparent
from application.outbox.ports import EmailMessage, Outbox
from domain.notifications import DuplicateNotification, Notification


class Notifications:
    """Notifications, written with the email that delivers them: the outbox's rows."""

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        # The request being served, if any (asgi-correlation-id keeps its id): the relay, in
        # another process, logs it with every line about this notification, and links its
        # send to the trace being recorded, if any.
        row = notification_row(
            notification, message, due_at, correlation_id.get(), current_traceparent()
        )
        try:
            self._rows.insert(notifications, [row])
        except UniqueViolation as violation:
            if violation.columns != ("idempotency_key",):
                raise
            raise DuplicateNotification(notification.idempotency_key) from None

    def about(self, about: str) -> list[Notification]:
        rows = self._rows.find(notifications, "about", about)
        return sorted((notification_entity(row) for row in rows), key=lambda n: n.kind)


def outbox(rows: MemoryTransaction | SqlRows) -> Outbox:
    """The outbox on the backend of rows: claims are the one part each backend writes its own
    way (PostgreSQL skips rows another relay is claiming)."""
    return InMemoryOutbox(rows) if isinstance(rows, MemoryTransaction) else SqlOutbox(rows)


class OutboxRepositories:
    """The outbox's repositories, on whichever unit of work lists this class."""

    notifications = repository(Notifications)
    outbox = repository(outbox)

"""The outbox's table (a notification is also the row that delivers it) and the mapping
between its rows and what the application sees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, Uuid

from adapters.kit.storage import Row
from adapters.kit.tables import UtcDateTime, metadata
from application.outbox.ports import DeliveryStatus, EmailMessage, OutboxEntry
from domain.email import Email
from domain.notifications import Notification, NotificationId

notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("about", String(100), nullable=False, index=True),
    Column("recipient", String(320), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_until", UtcDateTime),
    Column("last_error", Text),
    Column("request_id", String(64)),
    # W3C traceparent of the trace that queued it (telemetry on): the relay's send links to it.
    Column("traceparent", String(55)),
    # In the order a relay claims them, so a claim reads one batch of the index, however long
    # the backlog: without id, rows due at the same time would all be read and sorted first.
    Index("ix_notifications_due", "status", "next_attempt_at", "id"),
)


def notification_row(
    notification: Notification,
    message: EmailMessage,
    due_at: datetime,
    request_id: str | None = None,
    traceparent: str | None = None,
) -> Row:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "about": notification.about,
        "recipient": notification.recipient.value,
        "idempotency_key": notification.idempotency_key,
        "payload": {"subject": message.subject, "body": message.body},
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": due_at,
        "claimed_until": None,
        "last_error": None,
        "request_id": request_id,
        "traceparent": traceparent,
    }


def notification_entity(row: Row) -> Notification:
    return Notification(
        id=NotificationId(row["id"]),
        kind=row["kind"],
        about=row["about"],
        recipient=Email(row["recipient"]),
    )


def outbox_entry(row: Row, lease_until: datetime) -> OutboxEntry:
    return OutboxEntry(
        NotificationId(row["id"]),
        email_message(row),
        row["attempts"],
        lease_until,
        row["request_id"],
        {"traceparent": row["traceparent"]} if row["traceparent"] else {},
    )


def email_message(row: Row) -> EmailMessage:
    return EmailMessage(
        recipient=Email(row["recipient"]),
        subject=row["payload"]["subject"],
        body=row["payload"]["body"],
        idempotency_key=row["idempotency_key"],
    )

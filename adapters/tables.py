"""The schema, declared once: tables with their keys, unique columns and foreign keys, and the
explicit mapping between rows and entities. SQLAlchemy creates and migrates these tables; the
memory backend enforces the same constraints by reading them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.types import TypeDecorator

from adapters.kit.storage import Row
from application.ports import DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import Account, AccountId, Invitation, Role, User, UserId
from domain.email import Email
from domain.notifications import Notification, NotificationId

# Stable constraint names: errors are recognised by them, and migrations stay reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


# >>> outbox
class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes, stored in UTC. SQLite keeps no offset and compares dates as text, so
    every value is converted to UTC on the way in and marked as UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored: {value}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


# <<< outbox


# >>> example
accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("seat_limit", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("role", String(20), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("version", Integer, nullable=False),
)
# <<< example

# >>> outbox
# A notification is also the outbox row that delivers it.
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
# <<< outbox


# >>> example
def account_row(account: Account) -> Row:
    return {
        "id": account.id,
        "name": account.name,
        "seat_limit": account.seat_limit,
        "invitations": [
            {"email": i.email.value, "role": i.role.value} for i in account.invitations
        ],
    }


def account_entity(row: Row) -> Account:
    return Account(
        id=AccountId(row["id"]),
        name=row["name"],
        seat_limit=row["seat_limit"],
        invitations=[Invitation(Email(i["email"]), Role(i["role"])) for i in row["invitations"]],
        version=row["version"],
    )


def user_row(user: User) -> Row:
    return {
        "id": user.id,
        "account_id": user.account_id,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "role": user.role.value,
    }


def user_entity(row: Row) -> User:
    return User(
        id=UserId(row["id"]),
        account_id=AccountId(row["account_id"]),
        email=Email(row["email"]),
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        version=row["version"],
    )


# <<< example


# >>> outbox
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


# <<< outbox


# Each new aggregate's tables and row mapping go above this line (`make aggregate` adds them).

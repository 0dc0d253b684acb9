"""Tables, kept apart from the entities, and the explicit mapping between the two."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from application.ports import DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import Account, AccountId, Email, Role, User, UserId
from domain.notifications import Notification, NotificationId, NotificationKind

# Stable constraint names: errors are recognised by them, and migrations stay reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}


class NotificationRow(Base):
    """A notification is also the outbox row that delivers it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(320))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def account_row(account: Account) -> AccountRow:
    return AccountRow(id=account.id, name=account.name)


def account_entity(row: AccountRow) -> Account:
    return Account(id=AccountId(row.id), name=row.name, version=row.version)


def user_row(user: User) -> UserRow:
    return UserRow(
        id=user.id,
        account_id=user.account_id,
        email=str(user.email),
        password_hash=user.password_hash,
        role=user.role.value,
    )


def user_entity(row: UserRow) -> User:
    return User(
        id=UserId(row.id),
        account_id=AccountId(row.account_id),
        email=Email(row.email),
        password_hash=row.password_hash,
        role=Role(row.role),
        version=row.version,
    )


def notification_row(
    notification: Notification, message: EmailMessage, due_at: datetime
) -> NotificationRow:
    return NotificationRow(
        id=notification.id,
        user_id=notification.user_id,
        kind=notification.kind.value,
        recipient=str(notification.recipient),
        idempotency_key=notification.idempotency_key,
        payload={"subject": message.subject, "body": message.body},
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=due_at,
    )


def notification_entity(row: NotificationRow) -> Notification:
    return Notification(
        id=NotificationId(row.id),
        user_id=UserId(row.user_id),
        kind=NotificationKind(row.kind),
        recipient=Email(row.recipient),
    )


def outbox_entry(row: NotificationRow, lease_until: datetime) -> OutboxEntry:
    message = EmailMessage(
        recipient=Email(row.recipient),
        subject=row.payload["subject"],
        body=row.payload["body"],
        idempotency_key=row.idempotency_key,
    )
    return OutboxEntry(NotificationId(row.id), message, row.attempts, lease_until)

"""Tables, kept apart from the entities, and the explicit mapping between the two."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(320))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)


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


def notification_row(notification: Notification) -> NotificationRow:
    return NotificationRow(
        id=notification.id,
        user_id=notification.user_id,
        kind=notification.kind.value,
        recipient=str(notification.recipient),
        idempotency_key=notification.idempotency_key,
    )


def notification_entity(row: NotificationRow) -> Notification:
    return Notification(
        id=NotificationId(row.id),
        user_id=UserId(row.user_id),
        kind=NotificationKind(row.kind),
        recipient=Email(row.recipient),
    )

"""Repositories over a session. Every write is flushed at once, so its error comes from
the call that caused it, and driver errors are translated into the application's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from adapters.sqlalchemy.models import (
    AccountRow,
    NotificationRow,
    UserRow,
    account_entity,
    account_row,
    notification_entity,
    notification_row,
    outbox_entry,
    user_entity,
    user_row,
)
from adapters.transactions import Transaction
from application.errors import ConcurrentUpdate, NotFound
from application.ports import DeadNotification, DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import Account, AccountId, Email, User, UserId
from domain.errors import DuplicateNotification, EmailAlreadyRegistered
from domain.notifications import Notification, NotificationId


class SqlAlchemyAccounts:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._transaction = transaction
        self._session = transaction.handle

    def add(self, account: Account) -> None:
        row = account_row(account)
        self._session.add(row)
        _flush(self._transaction)
        account.version = row.version

    def get(self, account_id: AccountId) -> Account:
        return account_entity(self._row(account_id))

    def save(self, account: Account) -> None:
        row = self._row(account.id)
        stale = ConcurrentUpdate("account", account.id, account.version)
        if row.version != account.version:
            raise self._transaction.doom(stale)
        row.name = account.name
        try:
            self._session.flush()
        except StaleDataError as error:
            raise self._transaction.doom(stale) from error
        account.version = row.version

    def _row(self, account_id: AccountId) -> AccountRow:
        row = self._session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account", account_id)
        return row


class SqlAlchemyUsers:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._transaction = transaction
        self._session = transaction.handle

    def add(self, user: User) -> None:
        row = user_row(user)
        self._session.add(row)
        try:
            _flush(self._transaction)
        except IntegrityError as error:
            if _violates_unique(error, "users", "email"):
                raise EmailAlreadyRegistered(user.email) from error
            raise
        user.version = row.version

    def get(self, user_id: UserId) -> User:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise NotFound("user", user_id)
        return user_entity(row)

    def get_by_email(self, email: Email) -> User | None:
        row = self._session.scalars(select(UserRow).where(UserRow.email == str(email))).first()
        return None if row is None else user_entity(row)


class SqlAlchemyNotifications:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._transaction = transaction
        self._session = transaction.handle

    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        self._session.add(notification_row(notification, message, due_at))
        try:
            _flush(self._transaction)
        except IntegrityError as error:
            if _violates_unique(error, "notifications", "idempotency_key"):
                raise DuplicateNotification(notification.idempotency_key) from error
            raise

    def for_user(self, user_id: UserId) -> list[Notification]:
        rows = self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.user_id == user_id)
            .order_by(NotificationRow.kind)
        )
        return [notification_entity(row) for row in rows]


class SqlAlchemyOutbox:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._session = transaction.handle

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
        self._session.flush()
        return [outbox_entry(notification) for notification in claimed]

    def mark_sent(self, notification_id: NotificationId, attempts: int) -> None:
        self._set(
            notification_id, status=DeliveryStatus.SENT, attempts=attempts, claimed_until=None
        )

    def mark_failed(
        self, notification_id: NotificationId, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        rescheduled = {} if retry_at is None else {"next_attempt_at": retry_at}
        self._set(
            notification_id,
            status=DeliveryStatus.DEAD if retry_at is None else DeliveryStatus.PENDING,
            attempts=attempts,
            claimed_until=None,
            last_error=error,
            **rescheduled,
        )

    def revive(self, notification_id: NotificationId, due_at: datetime) -> None:
        revived = self._session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.id == notification_id,
                NotificationRow.status == DeliveryStatus.DEAD.value,
            )
            .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=due_at)
        )
        if revived.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("dead notification", notification_id)

    def counts(self) -> dict[DeliveryStatus, int]:
        by_status = dict(
            self._session.execute(
                select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
            )
            .tuples()
            .all()
        )
        return {status: by_status.get(status.value, 0) for status in DeliveryStatus}

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

    def _set(self, notification_id: NotificationId, **values: object) -> None:
        self._session.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id).values(**values)
        )


def _flush(transaction: Transaction[Session]) -> None:
    """Flushes now; a failed write dooms the block it ran in, as PostgreSQL would."""
    try:
        transaction.handle.flush()
    except IntegrityError as error:
        transaction.doom(error)
        raise


def _violates_unique(error: IntegrityError, table: str, column: str) -> bool:
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # PostgreSQL names the constraint
        return bool(diagnostics.constraint_name == f"uq_{table}_{column}")
    return f"UNIQUE constraint failed: {table}.{column}" in str(error.orig)

"""Repositories over a session. Every write is flushed at once, so its error comes from the
call that caused it; driver errors are translated, so the application never sees SQLAlchemy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
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
from application.errors import ConcurrentUpdate, NotFound, StorageError
from application.ports import DeadNotification, DeliveryStatus, EmailMessage, OutboxEntry
from domain.accounts import Account, AccountId, Email, User, UserId
from domain.errors import DuplicateNotification, EmailAlreadyRegistered
from domain.notifications import Notification, NotificationId

P = ParamSpec("P")
R = TypeVar("R")


class SessionRepository:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._transaction = transaction

    @property
    def _session(self) -> Session:
        # Asked on every call, so a repository kept in a variable still refuses to work in a
        # doomed block or after its transaction ended.
        return self._transaction.usable()

    def _flush(self) -> None:
        try:
            self._session.flush()
        except IntegrityError as error:
            self._transaction.doom(error)  # a failed write dooms its block, as in PostgreSQL
            raise


RepositoryT = TypeVar("RepositoryT", bound=SessionRepository)


def translated(
    method: Callable[Concatenate[RepositoryT, P], R],
) -> Callable[Concatenate[RepositoryT, P], R]:
    """Any database error the method did not name itself dooms the block and becomes a
    StorageError, whose message holds no SQL and no parameter (a password hash, say)."""

    @functools.wraps(method)
    def call(self: RepositoryT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except DBAPIError as error:
            raise self._transaction.doom(StorageError(type(error).__name__)) from None

    return call


class SqlAlchemyAccounts(SessionRepository):
    @translated
    def add(self, account: Account) -> None:
        row = account_row(account)
        self._session.add(row)
        self._flush()
        account.version = row.version

    @translated
    def get(self, account_id: AccountId) -> Account:
        return account_entity(self._row(account_id))

    @translated
    def save(self, account: Account) -> None:
        row = self._row(account.id)
        stale = ConcurrentUpdate("account", account.id, account.version)
        if row.version != account.version:
            raise self._transaction.doom(stale)
        row.name = account.name
        try:
            self._flush()
        except StaleDataError as error:
            raise self._transaction.doom(stale) from error
        account.version = row.version

    def _row(self, account_id: AccountId) -> AccountRow:
        row = self._session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account", account_id)
        return row


class SqlAlchemyUsers(SessionRepository):
    @translated
    def add(self, user: User) -> None:
        row = user_row(user)
        self._session.add(row)
        try:
            self._flush()
        except IntegrityError as error:
            if _violates_unique(error, "users", "email"):
                raise self._transaction.doom(EmailAlreadyRegistered(user.email)) from None
            raise
        user.version = row.version

    @translated
    def get(self, user_id: UserId) -> User:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise NotFound("user", user_id)
        return user_entity(row)

    @translated
    def get_by_email(self, email: Email) -> User | None:
        row = self._session.scalars(select(UserRow).where(UserRow.email == str(email))).first()
        return None if row is None else user_entity(row)


class SqlAlchemyNotifications(SessionRepository):
    @translated
    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        self._session.add(notification_row(notification, message, due_at))
        try:
            self._flush()
        except IntegrityError as error:
            if _violates_unique(error, "notifications", "idempotency_key"):
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

    def _updated(self, statement: object) -> bool:
        result = self._session.execute(statement)  # type: ignore[call-overload]
        return bool(result.rowcount == 1)


def _violates_unique(error: IntegrityError, table: str, column: str) -> bool:
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # PostgreSQL names the constraint
        return bool(diagnostics.constraint_name == f"uq_{table}_{column}")
    return f"UNIQUE constraint failed: {table}.{column}" in str(error.orig)

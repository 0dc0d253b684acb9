"""The application's repositories, declared once for every backend.

An aggregate's repository is an AggregateRepository with its declaration, plus the queries its
port adds. To add one, declare it here and list it in `Repositories`: every unit of work then
offers it, and each call goes through the transaction engine's guard.
"""

from __future__ import annotations

from datetime import datetime

from asgi_correlation_id import correlation_id

from adapters import tables
from adapters.kit.aggregates import Aggregate, AggregateRepository, Children
from adapters.kit.guard import repository
from adapters.kit.storage import RowStore, UniqueViolation
from adapters.telemetry import current_traceparent
from application.ports import EmailMessage
from domain.accounts import Account, User
from domain.email import Email
from domain.errors import DuplicateNotification, EmailAlreadyRegistered
from domain.notifications import Notification


# >>> example
class Accounts(AggregateRepository[Account]):
    aggregate = Aggregate(
        kind="account",
        table=tables.accounts,
        to_row=tables.account_row,
        to_entity=tables.account_entity,
        children=(Children(tables.invitations, parent_column="account_id"),),
    )


class Users(AggregateRepository[User]):
    aggregate = Aggregate(
        kind="user",
        table=tables.users,
        to_row=tables.user_row,
        to_entity=tables.user_entity,
        conflicts={"email": lambda user: EmailAlreadyRegistered(user.email)},
    )

    def get_by_email(self, email: Email) -> User | None:
        return self._find_one("email", email.value)


# <<< example


# >>> outbox
class Notifications:
    """Notifications, written with the email that delivers them: the outbox's rows."""

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        # The request being served, if any (asgi-correlation-id keeps its id): the relay, in
        # another process, logs it with every line about this notification, and links its
        # send to the trace being recorded, if any.
        row = tables.notification_row(
            notification, message, due_at, correlation_id.get(), current_traceparent()
        )
        try:
            self._rows.insert(tables.notifications, [row])
        except UniqueViolation as violation:
            if violation.columns != ("idempotency_key",):
                raise
            raise DuplicateNotification(notification.idempotency_key) from None

    def about(self, about: str) -> list[Notification]:
        rows = self._rows.find(tables.notifications, "about", about)
        return sorted((tables.notification_entity(row) for row in rows), key=lambda n: n.kind)


# <<< outbox


class StorageProbe:
    """What the health check reads: the storage's answer to a trivial query."""

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    def ping(self) -> None:
        self._rows.ping()


# Each new aggregate's repository class goes above this line (`make aggregate` adds it).


class Repositories:
    """The repositories of the application, on whichever unit of work inherits this."""

    storage = repository(StorageProbe)

    # >>> example
    accounts = repository(Accounts)
    users = repository(Users)
    # <<< example
    # >>> outbox
    notifications = repository(Notifications)
    # <<< outbox
    # Each new aggregate's repository is listed above this line (`make aggregate` adds it).

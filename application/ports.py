"""Ports: what the application needs from the outside world, and nothing about how."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.accounts import Account, AccountId, User, UserId
from domain.email import Email
from domain.notifications import Notification, NotificationId


# >>> outbox
@dataclass(frozen=True)
class EmailMessage:
    recipient: Email
    subject: str
    body: str
    idempotency_key: str


# <<< outbox


# >>> example
class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, account_id: AccountId) -> Account:
        """A copy of the stored account, invitations included; raises NotFound."""
        ...

    def get_for_update(self, account_id: AccountId) -> Account:
        """As get, and no other transaction can change or lock the account until this one
        ends: read this way, a check on it (a free seat) still holds when it is saved."""
        ...

    def save(self, account: Account) -> None:
        """Stores changes; raises ConcurrentUpdate if it changed since it was read.

        On success the account's version is the stored one, so it can be saved again.
        """
        ...


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Raises EmailAlreadyRegistered if another user has the email, committed or not."""
        ...

    def get(self, user_id: UserId) -> User:
        """A copy of the stored user; raises NotFound."""
        ...

    def get_by_email(self, email: Email) -> User | None: ...


# <<< example


# >>> outbox
class NotificationRepository(Protocol):
    def add(self, notification: Notification, message: EmailMessage, due_at: datetime) -> None:
        """Records the notification with the email that delivers it, for the relay to send.

        Raises DuplicateNotification if one with the same idempotency key exists.
        """
        ...

    def about(self, about: str) -> list[Notification]:
        """The notifications about one thing (a user's id, say), in the order of their kinds."""
        ...


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True)
class OutboxEntry:
    """A notification leased to a relay: what to send, how often it was tried before, and
    until when the lease holds (marking it succeeds only while the lease is this one)."""

    notification_id: NotificationId
    message: EmailMessage
    attempts: int
    lease_until: datetime
    # The id of the request that queued it, so that the relay's log lines about it carry it.
    request_id: str | None = None
    # Opaque to the application: the trace it was queued in, as W3C Trace Context headers,
    # for a RelayMonitor to link the send to. Empty when it was queued untraced.
    trace_context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadNotification:
    notification_id: NotificationId
    recipient: Email
    attempts: int
    last_error: str


class Outbox(Protocol):
    """The notifications still to deliver, as the relay sees them."""

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEntry]:
        """Leases pending notifications that are due and not leased to another relay.

        A relay that dies loses nothing: its lease expires and the entries are claimed again.
        Where several relays run at once (PostgreSQL), rows being claimed are skipped.
        """
        ...

    def mark_sent(self, entries: Sequence[OutboxEntry]) -> set[NotificationId]:
        """Records the deliveries, each as one more attempt; returns the ids it marked.

        An entry whose lease was lost to another relay meanwhile is left as that relay has it.
        """
        ...

    def mark_failed(self, entry: OutboxEntry, error: str, retry_at: datetime | None) -> bool:
        """Records a failed attempt, retried at retry_at or dead when it is None; False if
        the lease was lost to another relay meanwhile."""
        ...

    def revive(self, notification_id: NotificationId, due_at: datetime) -> None:
        """Puts a dead notification back in line; raises NotFound if no dead one has the id."""
        ...

    def counts(self) -> dict[DeliveryStatus, int]:
        """How many notifications are in each status, every status present."""
        ...

    def dead(self) -> list[DeadNotification]: ...


# <<< outbox


class Storage(Protocol):
    """The storage itself, apart from any entity."""

    def ping(self) -> None:
        """One trivial read: returns when the storage answered, raises what it raised."""
        ...


class UnitOfWork(Protocol):
    """Transactions with the semantics of Django's `atomic`, and the repositories inside them.

    `transaction()` is all-or-nothing: the outermost block commits or rolls back; a nested
    block is a savepoint that undoes only its own writes when it raises. A failed write dooms
    the block it ran in. Repositories are usable only inside a transaction.
    """

    @property
    def storage(self) -> Storage: ...

    # >>> example
    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def users(self) -> UserRepository: ...

    # <<< example

    # >>> outbox
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    # <<< outbox

    # Each new aggregate's repository property goes above this line (`make aggregate` adds it).

    def transaction(
        self, durable: bool = False, savepoint: bool = True
    ) -> AbstractContextManager[None]:
        """Begins a transaction, or a savepoint when one is active; durable refuses to nest.

        savepoint=False joins an active transaction without a savepoint: a failure inside then
        fails the enclosing block too. For a step whose error its callers propagate anyway.
        """
        ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Runs callback once after the outermost commit; never after a rollback."""
        ...


# >>> example
class PasswordHasher(Protocol):
    """Turns a password into a hash safe to store, and checks a password against it."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


# <<< example


# >>> outbox
class EmailSender(Protocol):
    """Delivers an email or raises; a receiver may deduplicate by the idempotency key."""

    def send(self, message: EmailMessage) -> None: ...


class RelayMonitor(Protocol):
    """Watches the relay's sends, e.g. to trace and count them; the relay works the same
    whether one watches or not."""

    def sending(self, entry: OutboxEntry) -> AbstractContextManager[None]:
        """Wraps one send of the entry's email; the block raises what the send raised."""
        ...


# <<< outbox


class Clock(Protocol):
    """The current time, timezone-aware in UTC; tests use a clock they can move."""

    def now(self) -> datetime: ...


# Each new aggregate's repository port goes above this line (`make aggregate` adds it).

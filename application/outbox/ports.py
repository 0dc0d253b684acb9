"""What the outbox needs from the outside: its rows, on a unit of work of its own, the email
sender the relay delivers through, and whoever watches the relay."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.kit.ports import UnitOfWork
from domain.email import Email
from domain.notifications import Notification, NotificationId


@dataclass(frozen=True)
class EmailMessage:
    recipient: Email
    subject: str
    body: str
    idempotency_key: str


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


class OutboxUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that offers the outbox's repositories."""

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def outbox(self) -> Outbox: ...


class EmailSender(Protocol):
    """Delivers an email or raises; a receiver may deduplicate by the idempotency key."""

    def send(self, message: EmailMessage) -> None: ...


class RelayMonitor(Protocol):
    """Watches the relay's sends, e.g. to trace and count them; the relay works the same
    whether one watches or not."""

    def sending(self, entry: OutboxEntry) -> AbstractContextManager[None]:
        """Wraps one send of the entry's email; the block raises what the send raised."""
        ...

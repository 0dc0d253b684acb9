"""The relay: delivers the outbox at least once, retrying failures with backoff."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.kit.ports import Clock
from application.outbox.ports import EmailSender, OutboxEntry, OutboxUnitOfWork, RelayMonitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """Doubles with each attempt up to max_delay; jitter in [0, 1) spreads the upper half,
        so relays retrying together drift apart while each delay still grows."""
        # The exponent is capped too: 2 ** 60 base delays would overflow a timedelta.
        doubling = 2 ** min(attempts - 1, 30)
        ceiling: timedelta = min(self.max_delay, self.base_delay * doubling)
        return ceiling / 2 + ceiling / 2 * jitter


@dataclass(frozen=True)
class RelayReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.dead

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            self.sent + other.sent, self.retried + other.retried, self.dead + other.dead
        )


@dataclass(frozen=True)
class FailedAttempt:
    entry: OutboxEntry
    error: str
    retry_at: datetime | None  # None: no attempt is left, the notification is dead


class Unmonitored:
    """The relay's monitor when nothing watches: each send runs as it is."""

    def sending(self, entry: OutboxEntry) -> AbstractContextManager[None]:
        return nullcontext()


class NotificationRelay:
    """Sends pending notifications: each at least once, or dead after the policy's attempts.

    A batch is claimed, sent outside any database transaction, then its outcome recorded in
    one transaction. If the relay dies before that commits, the lease expires and the batch is
    sent again with the same idempotency keys: a crash repeats at most the batch in flight.
    """

    def __init__(
        self,
        uow: OutboxUnitOfWork,
        email_sender: EmailSender,
        clock: Clock,
        policy: RetryPolicy,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=5),
        jitter: Callable[[], float] = random.random,
        monitor: RelayMonitor | None = None,
    ) -> None:
        self._uow = uow
        self._email_sender = email_sender
        self._clock = clock
        self._policy = policy
        self._batch_size = batch_size
        self._lease = lease
        self._jitter = jitter
        self._monitor = monitor or Unmonitored()

    def relay_batch(self) -> RelayReport:
        """Claims one batch of due notifications, sends each while half the lease remains,
        and records what became of them."""
        batch = self._claim()
        sent: list[OutboxEntry] = []
        failed: list[FailedAttempt] = []
        for number, entry in enumerate(batch):
            if self._clock.now() >= entry.lease_until - self._lease / 2:
                # A send started this late could outlive the lease, and another relay would
                # send it too. Leave the rest: they are claimed again once the lease runs out.
                logger.warning(
                    "too little lease left to send %d notifications", len(batch) - number
                )
                break
            try:
                with self._monitor.sending(entry):
                    self._email_sender.send(entry.message)
            except Exception as error:
                failed.append(self._failed_attempt(entry, f"{type(error).__name__}: {error}"))
            else:
                logger.info("sent notification %s", entry.notification_id, extra=_about(entry))
                sent.append(entry)
        return self._record(sent, failed)

    def drain(self) -> RelayReport:
        """Relays batches until nothing is due; failures scheduled for later stay pending."""
        total = RelayReport()
        while (report := self.relay_batch()).claimed:
            total += report
        return total

    def _claim(self) -> list[OutboxEntry]:
        now = self._clock.now()
        with self._uow.transaction(durable=True):
            return self._uow.outbox.claim_due(now, now + self._lease, self._batch_size)

    def _failed_attempt(self, entry: OutboxEntry, error: str) -> FailedAttempt:
        attempts = entry.attempts + 1
        retry_at = None
        if attempts < self._policy.max_attempts:
            retry_at = self._clock.now() + self._policy.delay(attempts, self._jitter())
        logger.warning(
            "notification %s failed (attempt %d): %s; %s",
            entry.notification_id,
            attempts,
            error,
            "dead" if retry_at is None else f"retry at {retry_at:%Y-%m-%d %H:%M:%S}",
            extra=_about(entry),
        )
        return FailedAttempt(entry, error[:500], retry_at)

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        # One transaction, one commit, for the whole batch: the relay's cost is per batch.
        with self._uow.transaction(durable=True):
            marked = self._uow.outbox.mark_sent(sent)
            recorded = [
                failure
                for failure in failed
                if self._uow.outbox.mark_failed(failure.entry, failure.error, failure.retry_at)
            ]
        for entry in sent:
            if entry.notification_id not in marked:
                logger.warning(
                    "notification %s sent, but its lease was lost",
                    entry.notification_id,
                    extra=_about(entry),
                )
        for failure in failed:
            if failure not in recorded:
                logger.warning(
                    "lease on notification %s was lost",
                    failure.entry.notification_id,
                    extra=_about(failure.entry),
                )
        dead = sum(1 for failure in recorded if failure.retry_at is None)
        return RelayReport(sent=len(sent), retried=len(recorded) - dead, dead=dead)


def _about(entry: OutboxEntry) -> dict[str, object]:
    """What a log line about the entry carries: the id of the request that queued it."""
    return {"request_id": entry.request_id or "-"}

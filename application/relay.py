"""The relay: delivers the outbox at least once, retrying failures with backoff."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from application.ports import Clock, EmailSender, OutboxEntry, UnitOfWork

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


class NotificationRelay:
    """Sends pending notifications: each at least once, or dead after the policy's attempts.

    An email is sent outside any database transaction, then marked sent. If the relay dies in
    between, the lease expires and the email is sent again with the same idempotency key.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        email_sender: EmailSender,
        clock: Clock,
        policy: RetryPolicy,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=5),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._uow = uow
        self._email_sender = email_sender
        self._clock = clock
        self._policy = policy
        self._batch_size = batch_size
        self._lease = lease
        self._jitter = jitter

    def relay_batch(self) -> RelayReport:
        """Claims one batch of due notifications and tries to send each of them."""
        now = self._clock.now()
        with self._uow.transaction(durable=True):
            batch = self._uow.outbox.claim_due(now, now + self._lease, self._batch_size)
        report = RelayReport()
        for entry in batch:
            report += self._deliver(entry)
        return report

    def drain(self) -> RelayReport:
        """Relays batches until nothing is due; failures scheduled for later stay pending."""
        total = RelayReport()
        while (report := self.relay_batch()).claimed:
            total += report
        return total

    def _deliver(self, entry: OutboxEntry) -> RelayReport:
        if self._clock.now() >= entry.lease_until - self._lease / 2:
            # A send started this late could outlive the lease, and another relay would send
            # it too. Leave it: it is claimed again once the lease has run out.
            logger.warning("too little lease left to send notification %s", entry.notification_id)
            return RelayReport()
        try:
            self._email_sender.send(entry.message)
        except Exception as error:
            return self._record_failure(entry, f"{type(error).__name__}: {error}")
        if not self._mark_sent(entry):
            logger.warning("notification %s sent, but its lease was lost", entry.notification_id)
        return RelayReport(sent=1)

    def _mark_sent(self, entry: OutboxEntry) -> bool:
        with self._uow.transaction(durable=True):
            return self._uow.outbox.mark_sent(entry)

    def _record_failure(self, entry: OutboxEntry, error: str) -> RelayReport:
        attempts = entry.attempts + 1
        gives_up = attempts >= self._policy.max_attempts
        retry_at = None
        if not gives_up:
            retry_at = self._clock.now() + self._policy.delay(attempts, self._jitter())
        logger.warning(
            "notification %s failed (attempt %d): %s; %s",
            entry.notification_id,
            attempts,
            error,
            "dead" if retry_at is None else f"retry at {retry_at:%Y-%m-%d %H:%M:%S}",
        )
        with self._uow.transaction(durable=True):
            recorded = self._uow.outbox.mark_failed(entry, error[:500], retry_at)
        if not recorded:
            logger.warning("lease on notification %s was lost", entry.notification_id)
            return RelayReport()
        return RelayReport(dead=1) if gives_up else RelayReport(retried=1)

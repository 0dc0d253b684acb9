"""The outbox and its relay: emails survive partial failure and are delivered at least once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import assert_type

import pytest
from dependency_injector import providers

from adapters.kit.clock import ManualClock
from adapters.outbox.email import RecordingEmailSender
from application.outbox.ports import DeliveryStatus, EmailMessage, EmailSender, OutboxEntry
from application.outbox.relay import FailedAttempt, NotificationRelay, RelayReport, RetryPolicy
from application.outbox.use_cases import GetOutboxStatus
from bootstrap import build_container
from domain.email import Email
from domain.notifications import Notification
from tests.outbox_support import queue_emails, recorded
from tests.support import Backend, backend_for, settings_for
from tests.telemetry_support import Traced

LEASE = timedelta(minutes=1)


class Boom(Exception):
    pass


class RelayThatDiesBeforeMarking(NotificationRelay):
    """Sends a batch, then dies before recording it: the crash at-least-once delivery is about."""

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        raise Boom("relay killed between send and mark")


class RelayThatDiesOnItsSecondBatch(NotificationRelay):
    """Records its first batch, then sends the second and dies before recording it."""

    recorded_batches = 0

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        if self.recorded_batches == 1:
            raise Boom("relay killed between send and mark")
        self.recorded_batches += 1
        return super()._record(sent, failed)


def relay(
    backend: Backend,
    sender: EmailSender,
    clock: ManualClock,
    kind: type[NotificationRelay] = NotificationRelay,
    batch_size: int = 100,
) -> NotificationRelay:
    policy = RetryPolicy(max_attempts=4, base_delay=timedelta(seconds=30))
    return kind(backend.uow, sender, clock, policy, batch_size, lease=LEASE, jitter=lambda: 0.0)


@pytest.fixture
def clock(backend: Backend) -> ManualClock:
    # Microseconds and an offset other than UTC: leases must survive both on every backend.
    clock = ManualClock(
        datetime(2026, 5, 4, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    )
    backend.container.clock.override(providers.Object(clock))
    return clock


def status(backend: Backend) -> dict[DeliveryStatus, int]:
    counts: dict[DeliveryStatus, int] = backend.container.get_outbox_status().execute().counts
    return counts


def test_notifications_of_one_kind_about_one_thing_share_one_idempotency_key() -> None:
    first, second, other = (
        Notification.create("welcome", "42", Email("ada@example.com")),
        Notification.create("welcome", "42", Email("ada@example.com")),
        Notification.create("reminder", "42", Email("ada@example.com")),
    )

    assert first.id != second.id
    assert first.idempotency_key == second.idempotency_key == "welcome:42"
    assert other.idempotency_key != first.idempotency_key


def test_an_email_queued_in_a_committed_transaction_is_one_pending_notification(
    backend: Backend,
) -> None:
    queue_emails(backend.uow, 1)

    assert status(backend) == {
        DeliveryStatus.PENDING: 1,
        DeliveryStatus.SENT: 0,
        DeliveryStatus.DEAD: 0,
    }


def test_an_email_queued_in_a_rolled_back_transaction_leaves_no_notification(
    backend: Backend,
) -> None:
    with pytest.raises(Boom), backend.uow.transaction():
        queue_emails(backend.uow, 1)
        raise Boom

    assert sum(status(backend).values()) == 0


def test_a_relay_that_dies_after_sending_sends_again_with_the_same_key_once_the_lease_expires(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    sender = RecordingEmailSender()

    with pytest.raises(Boom):
        relay(backend, sender, clock, kind=RelayThatDiesBeforeMarking).relay_batch()
    survivor = relay(backend, sender, clock)
    still_leased = survivor.drain()
    clock.advance(LEASE)
    after_lease = survivor.drain()

    assert (still_leased.sent, after_lease.sent) == (0, 1)
    assert [m.idempotency_key for m in sender.sent] == [sender.sent[0].idempotency_key] * 2
    assert status(backend)[DeliveryStatus.SENT] == 1


def test_a_relay_that_dies_after_sending_a_batch_resends_only_that_batch_with_the_same_keys(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 5)
    crashed, survivor = RecordingEmailSender(), RecordingEmailSender()

    with pytest.raises(Boom):
        relay(backend, crashed, clock, kind=RelayThatDiesOnItsSecondBatch, batch_size=2).drain()
    recorded_batch, batch_in_flight = keys(crashed.sent[:2]), keys(crashed.sent[2:])
    clock.advance(LEASE)
    relay(backend, survivor, clock, batch_size=2).drain()
    resent = keys(survivor.sent) & keys(crashed.sent)

    assert (len(recorded_batch), len(batch_in_flight)) == (2, 2)
    assert resent == batch_in_flight
    assert len(survivor.sent) == 3  # the batch in flight again, and the one never claimed
    assert status(backend)[DeliveryStatus.SENT] == 5


def keys(messages: list[EmailMessage]) -> set[str]:
    return {message.idempotency_key for message in messages}


@pytest.mark.sql
def test_four_relays_side_by_side_on_postgresql_send_each_of_500_notifications_once(
    request: pytest.FixtureRequest,
) -> None:
    # PostgreSQL only by nature: FOR UPDATE SKIP LOCKED is what lets relays run side by side;
    # SQLite and memory are documented as single-relay.
    backend = backend_for("postgres", request)
    queue_emails(backend.uow, 500)
    sender, clock = RecordingEmailSender(), ManualClock()
    relays = [relay(backend, sender, clock, batch_size=25) for _ in range(4)]

    threads = [threading.Thread(target=r.drain) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sends_per_key = Counter(message.idempotency_key for message in sender.sent)
    assert len(sends_per_key) == 500
    assert set(sends_per_key.values()) == {1}
    assert status(backend) == {
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 500,
        DeliveryStatus.DEAD: 0,
    }


def test_a_relay_whose_lease_ran_out_cannot_overwrite_the_relay_that_took_over(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    uow = backend.uow
    with uow.transaction():
        [slow] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)
    clock.advance(LEASE)
    taken_over = relay(backend, RecordingEmailSender(), clock).drain()

    with uow.transaction():
        recorded = uow.outbox.mark_failed(slow, "TimeoutError: smtp too slow", retry_at=None)

    assert (taken_over.sent, recorded) == (1, False)
    assert status(backend) == {
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 1,
        DeliveryStatus.DEAD: 0,
    }


def test_a_relay_does_not_send_what_it_claimed_once_the_lease_has_run_out(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    sender = RecordingEmailSender()

    class LateRelay(NotificationRelay):
        def _claim(self) -> list[OutboxEntry]:
            entries = super()._claim()
            clock.advance(LEASE)  # e.g. the previous email of the batch took this long
            return entries

    late = relay(backend, sender, clock, kind=LateRelay).relay_batch()

    assert (late.claimed, sender.sent) == (0, [])
    assert status(backend)[DeliveryStatus.PENDING] == 1


def test_a_relay_that_lost_its_lease_cannot_mark_what_the_new_holder_is_sending(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    uow = backend.uow
    with uow.transaction():
        [lost] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)
    clock.advance(LEASE)
    with uow.transaction():
        [held] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)

    with uow.transaction():
        marked_by_loser = (
            uow.outbox.mark_sent([lost]),
            uow.outbox.mark_failed(lost, "TimeoutError", retry_at=None),
        )
    with uow.transaction():
        marked_by_holder = uow.outbox.mark_sent([held])

    assert marked_by_loser == (set(), False)
    assert marked_by_holder == {held.notification_id}
    assert status(backend)[DeliveryStatus.SENT] == 1


def test_marking_a_batch_sent_marks_only_the_entries_whose_lease_it_still_holds(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 3)
    uow = backend.uow
    with uow.transaction():
        batch = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)
    clock.advance(LEASE)
    with uow.transaction():
        [taken_over] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=1)

    with uow.transaction():
        marked = uow.outbox.mark_sent(batch)

    assert marked == {e.notification_id for e in batch} - {taken_over.notification_id}
    assert status(backend)[DeliveryStatus.SENT] == 2


def test_a_relay_stops_sending_a_batch_once_half_its_lease_is_gone_and_records_what_it_sent(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 3)

    class SlowSender(RecordingEmailSender):
        def send(self, message: EmailMessage) -> None:
            super().send(message)
            clock.advance(LEASE / 2)  # the first send takes half the lease

    sender = SlowSender()
    first = relay(backend, sender, clock).relay_batch()
    clock.advance(LEASE / 2)  # the lease on the two left unsent runs out
    rest = relay(backend, RecordingEmailSender(), clock).drain()

    assert (first.sent, len(sender.sent), rest.sent) == (1, 1, 2)
    assert status(backend)[DeliveryStatus.SENT] == 3


def test_a_relay_that_outlived_its_lease_while_sending_leaves_the_row_to_the_relay_that_took_over(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    uow = backend.uow
    taken_over: list[OutboxEntry] = []

    class SenderThatOutlivesTheLease(RecordingEmailSender):
        def send(self, message: EmailMessage) -> None:
            super().send(message)
            clock.advance(LEASE)
            with uow.transaction():
                taken_over.extend(uow.outbox.claim_due(clock.now(), clock.now() + LEASE, 10))

    slow = relay(backend, SenderThatOutlivesTheLease(), clock).relay_batch()
    left_pending = status(backend)[DeliveryStatus.PENDING]
    with uow.transaction():
        marked_by_new_holder = uow.outbox.mark_sent(taken_over)

    assert (slow.sent, len(taken_over), left_pending) == (1, 1, 1)
    assert marked_by_new_holder == {taken_over[0].notification_id}


def test_a_reset_backend_keeps_no_notification_and_no_email_of_the_test_before(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    queue_emails(backend.uow, 1)
    backend.container.relay().drain()
    assert recorded(backend).sent

    after = backend_for(backend.name, request)

    assert (after.rows("notifications"), recorded(after).sent) == (0, [])


class RefusingSender:
    def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("smtp down")


def test_the_relay_counts_sends_and_failures_and_the_outbox_reports_its_depth(
    traced_backend: Traced,
) -> None:
    container = traced_backend.backend.container
    queue_emails(traced_backend.backend.uow, 2)
    container.relay().drain()
    container.config.relay_max_attempts.from_value(1)
    container.email_sender.override(providers.Object(RefusingSender()))
    queue_emails(traced_backend.backend.uow, 2, first=2)

    before_relay = traced_backend.metric("keel.outbox.depth")
    container.relay().relay_batch()

    assert before_relay == {"pending": 2, "dead": 0}
    assert traced_backend.metric("keel.outbox.depth") == {"pending": 0, "dead": 2}
    assert traced_backend.metric("keel.relay.sent") == {"": 2}
    assert traced_backend.metric("keel.relay.failed") == {"": 2}


def test_the_container_provides_the_outboxs_use_cases_and_relay_as_their_own_types() -> None:
    container = build_container(settings_for("memory://"))

    status = assert_type(container.get_outbox_status(), GetOutboxStatus)
    assert isinstance(status, GetOutboxStatus)
    assert isinstance(assert_type(container.relay(), NotificationRelay), NotificationRelay)

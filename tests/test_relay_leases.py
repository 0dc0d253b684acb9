"""The relay's leases, on every backend: a relay whose lease ran out can neither send what it
claimed nor overwrite the relay that took over, and a batch stops at half its lease."""

from __future__ import annotations

import pytest

from adapters.kit.clock import ManualClock
from adapters.outbox.email import RecordingEmailSender
from application.outbox.ports import DeliveryStatus, EmailMessage, OutboxEntry
from application.outbox.relay import NotificationRelay
from tests.outbox_support import (
    LEASE,
    RelayKilled,
    RelayThatDiesBeforeMarking,
    queue_emails,
    relay,
    status,
)
from tests.support import Backend


def test_a_relay_that_dies_after_sending_sends_again_with_the_same_key_once_the_lease_expires(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    sender = RecordingEmailSender()

    with pytest.raises(RelayKilled):
        relay(backend, sender, clock, kind=RelayThatDiesBeforeMarking).relay_batch()
    survivor = relay(backend, sender, clock)
    still_leased = survivor.drain()
    clock.advance(LEASE)
    after_lease = survivor.drain()

    assert (still_leased.sent, after_lease.sent) == (0, 1)
    assert [m.idempotency_key for m in sender.sent] == [sender.sent[0].idempotency_key] * 2
    assert status(backend)[DeliveryStatus.SENT] == 1


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

"""The outbox and its relay: emails survive partial failure and are delivered at least once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from dependency_injector import providers

from adapters.clock import ManualClock
from adapters.email import RecordingEmailSender
from application.notifications import welcome_message
from application.ports import DeliveryStatus, EmailSender, OutboxEntry
from application.relay import NotificationRelay, RelayReport, RetryPolicy
from domain.accounts import User
from domain.email import Email
from domain.notifications import Notification
from tests.support import Backend, backend_for, registration

LEASE = timedelta(minutes=1)


class Boom(Exception):
    pass


class RelayThatDiesBeforeMarking(NotificationRelay):
    """Sends, then dies before recording it: the crash at-least-once delivery is about."""

    def _mark_sent(self, entry: OutboxEntry) -> bool:
        raise Boom("relay killed between send and mark")


def relay(
    backend: Backend, sender: EmailSender, clock: ManualClock, **options: object
) -> NotificationRelay:
    kind = options.pop("kind", NotificationRelay)
    policy = RetryPolicy(max_attempts=4, base_delay=timedelta(seconds=30))
    return kind(backend.uow, sender, clock, policy, lease=LEASE, jitter=lambda: 0.0, **options)  # type: ignore[operator]


@pytest.fixture
def clock(backend: Backend) -> ManualClock:
    # Microseconds and an offset other than UTC: leases must survive both on every backend.
    clock = ManualClock(
        datetime(2026, 5, 4, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    )
    backend.container.clock.override(providers.Object(clock))
    return clock


def status(backend: Backend) -> dict[DeliveryStatus, int]:
    return backend.container.get_outbox_status().execute().counts


def test_a_committed_registration_leaves_exactly_one_pending_notification(backend: Backend) -> None:
    backend.container.register_account().execute(registration())

    assert status(backend) == {
        DeliveryStatus.PENDING: 1,
        DeliveryStatus.SENT: 0,
        DeliveryStatus.DEAD: 0,
    }


def test_a_rolled_back_registration_leaves_no_notification(backend: Backend) -> None:
    with pytest.raises(Boom), backend.uow.transaction():
        backend.container.register_account().execute(registration())
        raise Boom

    assert sum(status(backend).values()) == 0


def test_a_relay_that_dies_after_sending_sends_again_with_the_same_key_once_the_lease_expires(
    backend: Backend, clock: ManualClock
) -> None:
    backend.container.register_account().execute(registration())
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


def seed_notifications(backend: Backend, count: int) -> None:
    uow = backend.uow
    with uow.transaction():
        for number in range(count):
            account, user = User.create_with_account(Email(f"user{number}@example.com"), "h")
            uow.accounts.add(account)
            uow.users.add(user)
            notification = Notification.welcome(user.id, user.email)
            uow.notifications.add(notification, welcome_message(notification), ManualClock().now())


def test_four_relays_side_by_side_on_postgresql_send_each_of_500_notifications_once(
    request: pytest.FixtureRequest,
) -> None:
    # PostgreSQL only by nature: FOR UPDATE SKIP LOCKED is what lets relays run side by side;
    # SQLite and memory are documented as single-relay.
    backend = backend_for("postgres", request)
    seed_notifications(backend, 500)
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
    backend.container.register_account().execute(registration())
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
    backend.container.register_account().execute(registration())
    sender = RecordingEmailSender()

    class LateRelay(NotificationRelay):
        def relay_batch(self) -> RelayReport:
            report = RelayReport()
            with self._uow.transaction(durable=True):
                entries = self._uow.outbox.claim_due(clock.now(), clock.now() + LEASE, 10)
            clock.advance(LEASE)  # e.g. the previous email of the batch took this long
            for entry in entries:
                report += self._deliver(entry)
            return report

    late = relay(backend, sender, clock, kind=LateRelay).relay_batch()

    assert (late.claimed, sender.sent) == (0, [])
    assert status(backend)[DeliveryStatus.PENDING] == 1


def test_a_relay_that_lost_its_lease_cannot_mark_what_the_new_holder_is_sending(
    backend: Backend, clock: ManualClock
) -> None:
    backend.container.register_account().execute(registration())
    uow = backend.uow
    with uow.transaction():
        [lost] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)
    clock.advance(LEASE)
    with uow.transaction():
        [held] = uow.outbox.claim_due(clock.now(), clock.now() + LEASE, limit=10)

    with uow.transaction():
        marked_by_loser = (
            uow.outbox.mark_sent(lost),
            uow.outbox.mark_failed(lost, "TimeoutError", retry_at=None),
        )
    with uow.transaction():
        marked_by_holder = uow.outbox.mark_sent(held)

    assert marked_by_loser == (False, False)
    assert marked_by_holder is True
    assert status(backend)[DeliveryStatus.SENT] == 1

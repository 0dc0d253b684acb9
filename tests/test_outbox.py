"""The outbox and its relay: emails survive partial failure and are delivered at least once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import assert_type

import pytest
from dependency_injector import providers

from adapters.kit.clock import ManualClock
from adapters.outbox.email import RecordingEmailSender
from application.outbox.ports import DeliveryStatus, EmailMessage
from application.outbox.relay import NotificationRelay
from application.outbox.use_cases import GetOutboxStatus
from bootstrap import build_container
from domain.email import Email
from domain.notifications import Notification
from tests.outbox_support import (
    LEASE,
    RelayKilled,
    RelayThatDiesOnItsSecondBatch,
    queue_emails,
    recorded,
    relay,
    status,
)
from tests.support import Backend, Boom, backend_for, settings_for
from tests.telemetry_support import Traced


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


def test_a_relay_that_dies_after_sending_a_batch_resends_only_that_batch_with_the_same_keys(
    backend: Backend, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 5)
    crashed, survivor = RecordingEmailSender(), RecordingEmailSender()

    with pytest.raises(RelayKilled):
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

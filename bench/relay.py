"""`python -m bench.relay`: how fast relays drain the outbox on PostgreSQL.

The sender does nothing, so the figures are the relay's own cost: claiming a batch with
FOR UPDATE SKIP LOCKED, then recording it sent. Each relay runs in a process of its own, as
relays are deployed: threads in one process would measure the GIL instead. The relay as it
was before batching, marking each email sent in a transaction of its own, runs beside the
batched one, in the same rounds, so their ratio is taken side by side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
import uuid
from datetime import UTC, datetime
from multiprocessing.context import SpawnContext
from multiprocessing.queues import SimpleQueue

from sqlalchemy import Engine, insert, select, update

from adapters.kit.clock import SystemClock
from adapters.kit.sqlalchemy.database import create_engine, create_schema
from adapters.outbox.tables import notifications
from adapters.unit_of_work import SqlAlchemyUnitOfWork
from application.outbox.ports import EmailMessage, OutboxEntry
from application.outbox.relay import FailedAttempt, NotificationRelay, RelayReport, RetryPolicy
from bench.databases import DEFAULT_ADMIN_URL, PostgresServer
from bench.table import Table, times, verdict
from bench.timing import Timings

PER_EMAIL, BATCHED, TWO_BATCHED = (
    "1 relay, each email marked sent in a transaction of its own (before)",
    "1 relay, each batch marked sent in one transaction",
    "2 relays, each batch marked sent in one transaction",
)
BATCHED_OVER_PER_EMAIL, TWO_OVER_ONE = 5.0, 1.6


class NoopSender:
    def send(self, message: EmailMessage) -> None:
        pass


class RelayMarkingEachEmail(NotificationRelay):
    """The relay before batching: one transaction, one commit, per email it records."""

    def _record(self, sent: list[OutboxEntry], failed: list[FailedAttempt]) -> RelayReport:
        report = RelayReport()
        for entry in sent:
            report += super()._record([entry], [])
        for failure in failed:
            report += super()._record([], [failure])
        return report


def serve(
    url: str,
    batch_size: int,
    marks_each_email: bool,
    go: SimpleQueue[bool],
    done: SimpleQueue[None],
) -> None:
    """A relay process: drains the outbox each time go says so, until it says stop."""
    engine = create_engine(url)
    kind = RelayMarkingEachEmail if marks_each_email else NotificationRelay
    relay = kind(
        SqlAlchemyUnitOfWork(engine),
        NoopSender(),
        SystemClock(),
        RetryPolicy(),
        batch_size=batch_size,
    )
    with engine.connect():
        pass  # the pool holds a connection before the first timed drain
    done.put(None)
    while go.get():
        relay.drain()
        done.put(None)
    engine.dispose()


class RelayProcesses:
    """Relays in processes of their own, started once and told to drain in every round."""

    def __init__(
        self, context: SpawnContext, count: int, url: str, batch_size: int, each_email: bool
    ) -> None:
        self._go = [context.SimpleQueue() for _ in range(count)]
        self._done: SimpleQueue[None] = context.SimpleQueue()
        self._processes = [
            context.Process(target=serve, args=(url, batch_size, each_email, go, self._done))
            for go in self._go
        ]
        for process in self._processes:
            process.start()
        self._wait()  # until every relay is ready: start-up is not what is measured

    def drain_seconds(self) -> float:
        start = time.perf_counter()
        for go in self._go:
            go.put(True)
        self._wait()
        return time.perf_counter() - start

    def stop(self) -> None:
        for go in self._go:
            go.put(False)
        for process in self._processes:
            process.join()

    def _wait(self) -> None:
        for _ in self._processes:
            self._done.get()


def seed(engine: Engine, count: int) -> None:
    now = datetime.now(UTC)
    notification_rows = [
        {
            "id": uuid.uuid4(),
            "kind": "welcome",
            "about": str(number),
            "recipient": f"user{number}@example.com",
            "idempotency_key": f"welcome:{number}",
            "payload": {"subject": "s", "body": "b"},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for number in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(notifications), notification_rows)


def reset(engine: Engine, pending: int) -> None:
    """Makes the first `pending` notifications due again, and the others sent."""
    table = notifications.c
    first = select(table.id).order_by(table.id).limit(pending)
    with engine.begin() as connection:
        connection.execute(update(notifications).values(status="sent", claimed_until=None))
        connection.execute(
            update(notifications).where(table.id.in_(first)).values(status="pending", attempts=0)
        )
    # Every drain leaves dead row versions behind; without a vacuum, later rounds would scan
    # more of them than earlier ones, and the order of the rounds would show in the figures.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE notifications")


def measure(url: str, rounds: int, batch_size: int, drains: dict[str, int]) -> Timings:
    """Seconds per notification, per variant: rounds of every variant in turn, after one
    warm-up round that is discarded; each variant drains as many notifications as `drains`
    says."""
    context = multiprocessing.get_context("spawn")
    engine = create_engine(url)
    variants = {
        PER_EMAIL: RelayProcesses(context, 1, url, batch_size, each_email=True),
        BATCHED: RelayProcesses(context, 1, url, batch_size, each_email=False),
        TWO_BATCHED: RelayProcesses(context, 2, url, batch_size, each_email=False),
    }
    samples: dict[str, list[float]] = {variant: [] for variant in variants}
    try:
        for _ in range(rounds + 1):
            for variant, relays in variants.items():
                reset(engine, drains[variant])
                samples[variant].append(relays.drain_seconds() / drains[variant])
    finally:
        for relays in variants.values():
            relays.stop()
        engine.dispose()
    return Timings({variant: seconds[1:] for variant, seconds in samples.items()})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--notifications", type=int, default=20_000, help="in the outbox")
    parser.add_argument(
        "--per-email-notifications",
        type=int,
        default=2_000,
        help="how many of them the per-email relay drains: it is an order of magnitude slower",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KEEL_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL),
    )
    arguments = parser.parse_args()
    count = arguments.notifications
    drains = {PER_EMAIL: min(arguments.per_email_notifications, count)} | {
        BATCHED: count,
        TWO_BATCHED: count,
    }
    server = PostgresServer(arguments.postgres_url)
    try:
        url = server.create_database("relay")
        engine = create_engine(url)
        create_schema(engine)
        seed(engine, count)
        engine.dispose()
        timings = measure(url, arguments.rounds, arguments.batch_size, drains)
    finally:
        server.drop_databases()

    table = Table(["drained", "seconds", "notifications/s"])
    table.caption(
        f"Relay drain rate on PostgreSQL: {count:,} notifications in the outbox, no-op sender, "
        f"batch {arguments.batch_size}, each relay a process of its own; medians of "
        f"{arguments.rounds} rounds (one warm-up round discarded), the variants interleaved "
        "in every round; ratios are medians of per-round ratios of time per notification."
    )
    for variant, drained in drains.items():
        per_notification = timings.seconds(variant)
        table.row(
            variant,
            {
                "drained": f"{drained:,}",
                "seconds": f"{per_notification * drained:.3f} s",
                "notifications/s": f"{1 / per_notification:,.0f}",
            },
        )
    batched_speedup = timings.ratio(PER_EMAIL, BATCHED)
    table.row(
        "1 relay: batched over per email",
        {"notifications/s": times(batched_speedup)},
        verdict(batched_speedup, BATCHED_OVER_PER_EMAIL, at_most=False),
    )
    two_speedup = timings.ratio(BATCHED, TWO_BATCHED)
    table.row(
        "batched: 2 relays over 1",
        {"notifications/s": times(two_speedup)},
        verdict(two_speedup, TWO_OVER_ONE, at_most=False),
    )
    print(table.render())


if __name__ == "__main__":
    main()

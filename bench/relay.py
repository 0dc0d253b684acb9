"""`python -m bench.relay`: how fast relays drain the outbox on PostgreSQL, 1 relay vs 4.

The sender does nothing, so the figure is the relay's own cost: claiming a batch with
FOR UPDATE SKIP LOCKED, then marking each notification sent in its own transaction.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import Engine, insert, update

from adapters.clock import SystemClock
from adapters.sqlalchemy.database import create_engine, create_schema
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.tables import accounts, notifications, users
from application.ports import EmailMessage
from application.relay import NotificationRelay, RetryPolicy

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class NoopSender:
    def send(self, message: EmailMessage) -> None:
        pass


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[Engine]:
    name = f"keel_bench_relay_{os.getpid()}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = create_engine(sqlalchemy.make_url(admin_url).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


def seed(engine: Engine, count: int) -> None:
    now = datetime.now(UTC)
    account_rows, user_rows, notification_rows = [], [], []
    for number in range(count):
        account_id, user_id = uuid.uuid4(), uuid.uuid4()
        email = f"user{number}@example.com"
        account_rows.append({"id": account_id, "name": email, "seat_limit": 5, "version": 1})
        user_rows.append(
            {
                "id": user_id,
                "account_id": account_id,
                "email": email,
                "password_hash": "h",
                "role": "admin",
                "version": 1,
            }
        )
        notification_rows.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "kind": "welcome",
                "recipient": email,
                "idempotency_key": f"welcome:{user_id}",
                "payload": {"subject": "s", "body": "b"},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(accounts), account_rows)
        connection.execute(insert(users), user_rows)
        connection.execute(insert(notifications), notification_rows)


def reset(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(notifications).values(status="pending", attempts=0, claimed_until=None)
        )


def drain_seconds(engine: Engine, relays: int, batch_size: int) -> float:
    uow = SqlAlchemyUnitOfWork(engine)
    workers = [
        NotificationRelay(uow, NoopSender(), SystemClock(), RetryPolicy(), batch_size=batch_size)
        for _ in range(relays)
    ]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("KEEL_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    )
    arguments = parser.parse_args()
    with throwaway_database(arguments.postgres_url) as engine:
        create_schema(engine)
        seed(engine, arguments.notifications)
        medians = {}
        for relays in (1, 4):
            samples = []
            for _ in range(arguments.rounds + 1):  # the first round warms the pool up
                reset(engine)
                samples.append(drain_seconds(engine, relays, arguments.batch_size))
            medians[relays] = statistics.median(samples[1:])
    count = arguments.notifications
    print(
        f"Relay drain rate on PostgreSQL: {count} notifications, no-op sender, batch "
        f"{arguments.batch_size}, median of {arguments.rounds} rounds"
    )
    print(f"{'relays':>7} {'seconds':>9} {'notifications/s':>16} {'vs 1 relay':>11}")
    for relays, seconds in medians.items():
        speedup = medians[1] / seconds
        print(f"{relays:>7} {seconds:>9.3f} {count / seconds:>16,.0f} {speedup:>10.2f}x")


if __name__ == "__main__":
    main()

"""The scale rows: a registration must cost the same with 100 or 100,000 users committed.

SQL databases are bulk-loaded with the raw driver (COPY, executemany); the in-memory database
is loaded through its unit of work, committing large batches.
"""

from __future__ import annotations

from bench import registration
from bench.databases import Backend
from bench.registration import PASSWORD, cheapest_hasher
from bench.table import Table, micros, times, verdict
from bench.timing import measure
from domain.accounts import User
from domain.email import Email

BATCH = 10_000


def load_users(backend: Backend, count: int) -> None:
    """Commits `count` accounts, each with its admin user."""
    emails = [f"loaded{number}@example.com" for number in range(count)]
    password_hash = cheapest_hasher().hash(PASSWORD)
    if backend.raw is not None:
        backend.raw.load_users(emails, password_hash)
        return
    uow = backend.container.unit_of_work()
    for start in range(0, count, BATCH):
        with uow.transaction():
            for email in emails[start : start + BATCH]:
                account, admin = User.create_with_account(Email(email), password_hash)
                uow.accounts.add(account)
                uow.users.add(admin)


def rows(
    table: Table, pairs: list[tuple[Backend, Backend]], rounds: int, count: int, users: int
) -> None:
    variants = {}
    for small, large in pairs:
        load_users(small, 100)
        load_users(large, users)
        variants[f"{small.name} small"] = registration.through_the_service(small)
        variants[f"{large.name} large"] = registration.through_the_service(large)
    timings = measure(variants, rounds, count)
    names = [small.name for small, _ in pairs]
    table.section(
        f"Scale: (a) per op with 100 vs {users:,} users committed beforehand "
        "(plus those the timed ops add)"
    )
    table.row("100 users", {n: micros(timings.seconds(f"{n} small")) for n in names})
    table.row(f"{users:,} users", {n: micros(timings.seconds(f"{n} large")) for n in names})
    worst = max(timings.ratio(f"{n} large", f"{n} small") for n in names)
    ratios = {n: times(timings.ratio(f"{n} large", f"{n} small")) for n in names}
    table.row(f"{users:,} over 100", ratios, f"all {verdict(worst, 1.2)}")

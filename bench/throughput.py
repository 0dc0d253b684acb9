"""The throughput rows: registrations per second through keel, a hand-written Session and the
raw driver, and what enclosing `uow.transaction()` blocks add to a registration."""

from __future__ import annotations

from bench import registration
from bench.databases import Backend
from bench.table import Table, micros, ops, times, verdict
from bench.timing import measure


def registration_rows(table: Table, backends: list[Backend], rounds: int, count: int) -> None:
    hasher = registration.cheapest_hasher()
    variants = {
        "hash": lambda: hasher.hash(registration.PASSWORD),
        "command": registration.command,
    }
    for backend in backends:
        variants[f"{backend.name} a"] = registration.through_keel(backend)
        variants[f"{backend.name} a0"] = registration.through_keel_unvalidated(backend)
        if backend.raw is not None:
            variants[f"{backend.name} b"] = registration.with_a_session(backend)
            variants[f"{backend.name} c"] = registration.with_the_driver(backend)
    timings = measure(variants, rounds, count)
    table.caption(
        f"Within every registration: one argon2id hash at its cheapest (time_cost=1, "
        f"memory_cost_kib=8, parallelism=1), {micros(timings.seconds('hash'))}; in (a) only, "
        f"building and validating the CreateAccountCommand, {micros(timings.seconds('command'))}."
    )
    table.section("Registration throughput (median ops/s; ratios: time per op, a over b or c)")
    sql = [backend.name for backend in backends if backend.raw is not None]
    names = [backend.name for backend in backends]

    def figures(variant: str, among: list[str]) -> dict[str, str]:
        return {name: ops(timings.ops_per_second(f"{name} {variant}")) for name in among}

    def ratios(slower: str, faster: str) -> dict[str, str]:
        return {name: times(timings.ratio(f"{name} {slower}", f"{name} {faster}")) for name in sql}

    table.row("(a) keel: container, use case, unit of work", figures("a", names))
    table.row("(a0) the same, command not validated (model_construct)", figures("a0", names))
    table.row("(b) hand-written SQLAlchemy Session", figures("b", sql))
    table.row("(c) raw driver (sqlite3, psycopg 3)", figures("c", sql))
    if "postgres" not in names:
        table.row("a/b", ratios("a", "b"))
        table.row("a/c", ratios("a", "c"))
        table.row("a0/b: the layers alone, over the hand-written Session", ratios("a0", "b"))
        return
    a_b, a_c = timings.ratio("postgres a", "postgres b"), timings.ratio("postgres a", "postgres c")
    table.row("a/b", ratios("a", "b"), f"postgres {verdict(a_b, 1.10)}")
    table.row("a/c", ratios("a", "c"), f"postgres {verdict(a_c, 2.0)}")
    table.row("a0/b: the layers alone, over the hand-written Session", ratios("a0", "b"))
    table.row("a0/c: the layers alone, over the raw driver", ratios("a0", "c"))
    speedup = timings.ratio("postgres a", "memory a")
    table.row(
        "(a) memory faster than postgres, per op",
        {"memory": times(speedup)},
        verdict(speedup, 20, at_most=False),
    )


def nesting_rows(table: Table, backends: list[Backend], rounds: int, count: int) -> None:
    variants = {}
    for backend in backends:
        for blocks in (0, 1, 2):
            variants[f"{backend.name} {blocks}"] = registration.inside_blocks(backend, blocks)
    timings = measure(variants, rounds, count)
    table.section("Nesting: (a) inside `with uow.transaction():` blocks (median ops/s)")
    labels = {
        0: "alone",
        1: "in an outer block (its own block a savepoint)",
        2: "in an outer block + one nested block",
    }
    for blocks, label in labels.items():
        cells = {b.name: ops(timings.ops_per_second(f"{b.name} {blocks}")) for b in backends}
        table.row(f"(a) {label}", cells)

    def cost(more: int, fewer: int) -> dict[str, str]:
        costs = {}
        for name in (b.name for b in backends):
            slower, faster = f"{name} {more}", f"{name} {fewer}"
            extra = micros(timings.gap(slower, faster), signed=True)
            costs[name] = f"{extra} ({times(timings.ratio(slower, faster))})"
        return costs

    table.row("an outer block costs, per op", cost(1, 0))
    table.row("one nested block costs, per op", cost(2, 1))

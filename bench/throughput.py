"""The throughput rows: registrations per second through the service, a hand-written Session
and the raw driver, and what enclosing `uow.transaction()` blocks add to a registration."""

from __future__ import annotations

from bench import layers, registration
from bench.databases import Backend
from bench.drivers import STATEMENTS_PER_REGISTRATION
from bench.table import Table, micros, ops, times, verdict
from bench.timing import measure


def registration_rows(table: Table, backends: list[Backend], rounds: int, count: int) -> None:
    hasher = registration.cheapest_hasher()
    memory = next(backend for backend in backends if backend.name == "memory")
    pooled = memory.container.password_hasher()  # the service's: a pool of its own threads
    bare = registration.BareDicts(pooled)
    variants = {
        "hash": lambda: hasher.hash(registration.PASSWORD),
        "pooled hash": lambda: pooled.hash(registration.PASSWORD),
        "command": registration.command,
        "memory d": bare.register,
        "memory e": layers.use_cases_alone(pooled),
        "memory u": layers.on_unchecked_rows(pooled),
    }
    for backend in backends:
        name = backend.name
        variants[f"{name} a"] = registration.through_the_service(backend)
        variants[f"{name} a0"] = registration.through_the_service_unvalidated(backend)
        variants[f"{name} create a"] = registration.through_the_service(backend, "create_account")
        if backend.raw is not None:
            variants[f"{name} b"] = registration.with_a_session(backend)
            variants[f"{name} c"] = registration.with_the_driver(backend)
            variants[f"{name} create b"] = registration.with_a_session(backend, welcome=False)
            variants[f"{name} create c"] = registration.with_the_driver(backend, welcome=False)
    timings = measure(variants, rounds, count)
    table.caption(
        f"Within every registration: one argon2id hash at its cheapest (time_cost=1, "
        f"memory_cost_kib=8, parallelism=1), {micros(timings.seconds('hash'))} alone, "
        f"{micros(timings.seconds('pooled hash'))} on the service's hashing pool as every "
        f"variant runs it (the pool bounds memory under load; the handover between threads "
        f"is the difference); in (a) and (d) only, building and validating the "
        f"CreateAccountCommand, {micros(timings.seconds('command'))}."
    )
    sql = [backend.name for backend in backends if backend.raw is not None]
    names = [backend.name for backend in backends]

    def figures(variant: str, among: list[str]) -> dict[str, str]:
        return {name: ops(timings.ops_per_second(f"{name} {variant}")) for name in among}

    def ratios(slower: str, faster: str) -> dict[str, str]:
        return {name: times(timings.ratio(f"{name} {slower}", f"{name} {faster}")) for name in sql}

    def target(slower: str, faster: str, limit: float) -> str:
        if "postgres" not in sql:
            return ""
        return (
            f"postgres {verdict(timings.ratio(f'postgres {slower}', f'postgres {faster}'), limit)}"
        )

    table.section(
        "Registration as POST /accounts runs it: account + admin, the welcome in a savepoint "
        "(median ops/s; ratios: time per op)"
    )
    table.row(
        "(a) keel: container, RegisterAccount, unit of work",
        figures("a", names),
    )
    table.row("(a0) the same, command not validated (model_construct)", figures("a0", names))
    table.row("(b) hand-written SQLAlchemy Session, same writes and savepoint", figures("b", sql))
    table.row("(c) raw driver (sqlite3, psycopg 3), same statements", figures("c", sql))
    table.row("(d) bare dicts: same rows, checks, hash and validation", figures("d", ["memory"]))
    table.row("(e) the use cases on a unit of work that stores nothing", figures("e", ["memory"]))
    table.row("(u) (a) over a row store that checks nothing", figures("u", ["memory"]))
    by_backend = {backend.name: backend for backend in backends}
    if "postgres" in by_backend:
        postgres = by_backend["postgres"]
        sent = {
            "a": registration.statements_per_registration(postgres, variants["postgres a"]),
            "b": registration.statements_per_registration(postgres, variants["postgres b"]),
        }
        table.row(
            "round trips per registration on postgres (pre-ping included): a / b / c",
            {"postgres": f"{sent['a']:g} / {sent['b']:g} / {STATEMENTS_PER_REGISTRATION}"},
            "a needs no statement b does not: " + ("met" if sent["a"] <= sent["b"] else "NOT met"),
        )
    table.row("a/b", ratios("a", "b"), target("a", "b", 1.00))
    table.row("a/c", ratios("a", "c"), target("a", "c", 2.0))
    table.row("a0/b: the layers alone, over the hand-written Session", ratios("a0", "b"))
    table.row("a0/c: the layers alone, over the raw driver", ratios("a0", "c"))
    memory_over_bare = timings.ratio("memory a", "memory d")
    table.row(
        "a/d", {"memory": times(memory_over_bare)}, f"memory {verdict(memory_over_bare, 1.3)}"
    )
    for layer, label in (("e", "the use cases alone"), ("u", "with the engine, rows unchecked")):
        table.row(
            f"{layer}/d: {label}", {"memory": times(timings.ratio(f"memory {layer}", "memory d"))}
        )
    if "postgres" in names:
        speedup = timings.ratio("postgres a", "memory a")
        table.row(
            "(a) memory faster than postgres, per op",
            {"memory": times(speedup)},
            verdict(speedup, 20, at_most=False),
        )
    table.section("CreateAccount alone: account + admin, no welcome (median ops/s)")
    table.row(
        "(a) keel: container, CreateAccount, unit of work",
        figures("create a", names),
    )
    table.row("(b) hand-written SQLAlchemy Session", figures("create b", sql))
    table.row("(c) raw driver", figures("create c", sql))
    table.row("a/b", ratios("create a", "create b"))
    table.row("a/c", ratios("create a", "create c"))


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

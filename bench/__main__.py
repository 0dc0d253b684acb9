"""`python -m bench`: measures, then prints one table. `--help` lists the knobs."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

import sqlalchemy.exc

from bench import scale, suite, telemetry, throughput
from bench.databases import (
    DEFAULT_ADMIN_URL,
    Backend,
    PostgresServer,
    memory_backend,
    postgres_backend,
    sqlite_backend,
)
from bench.table import Table


def options(argv: list[str] | None = None) -> argparse.Namespace:
    def knob(name: str, default: int, help: str) -> None:
        variable = f"KEEL_BENCH_{name.upper().replace('-', '_')}"
        value = int(os.environ.get(variable, default))
        parser.add_argument(f"--{name}", type=int, default=value, help=f"{help} (${variable})")

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    knob("rounds", 9, "timed rounds per figure, after one warm-up round")
    knob("ops", 150, "operations per variant and round")
    knob("suite-rounds", 3, "timed pytest runs per backend, after one warm-up run")
    knob("scale-users", 100_000, "users committed for the large scale row")
    variable = "KEEL_BENCH_POSTGRES_URL"
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(variable, DEFAULT_ADMIN_URL),
        help=f"admin URL; throwaway databases are created beside it (${variable})",
    )
    return parser.parse_args(argv)


def reachable_server(admin_url: str, table: Table) -> PostgresServer | None:
    server = PostgresServer(admin_url)
    try:
        server.check()
    except sqlalchemy.exc.OperationalError as error:
        table.caption(
            f"PostgreSQL is unreachable, so its column is empty: {str(error.orig).splitlines()[0]}"
        )
        return None
    return server


def main() -> None:
    settings = options()
    started = time.perf_counter()
    table = Table(["memory", "sqlite", "postgres"])
    table.caption(
        f"keel benchmarks: medians of {settings.rounds} rounds of {settings.ops} "
        "operations (one warm-up round discarded), every op a fresh email; ratios are "
        "medians of per-round ratios, taken within this run."
    )
    with contextlib.ExitStack() as cleanup:
        temporary = tempfile.TemporaryDirectory(prefix="keel-bench")
        directory = Path(cleanup.enter_context(temporary))
        server = reachable_server(settings.postgres_url, table)
        if server is not None:
            cleanup.callback(server.drop_databases)

        def opened(backend: Backend) -> Backend:
            cleanup.callback(backend.close)
            return backend

        def each_backend(purpose: str) -> list[Backend]:
            backends = [opened(memory_backend()), opened(sqlite_backend(directory / purpose))]
            if server is not None:
                backends.append(opened(postgres_backend(server.create_database(purpose))))
            return backends

        backends = each_backend("main")
        throughput.registration_rows(table, backends, settings.rounds, settings.ops)
        throughput.nesting_rows(table, backends, settings.rounds, settings.ops)
        telemetry.rows(table, backends, settings.rounds, settings.ops)
        suite_url = server.create_database("tests") if server else None
        suite.rows(table, suite_url, settings.suite_rounds)
        pairs = list(zip(each_backend("small"), each_backend("large"), strict=True))
        scale.rows(table, pairs, settings.rounds, settings.ops, settings.scale_users)
    table.caption(f"The whole run took {time.perf_counter() - started:.0f} s.")
    print(table.render())


if __name__ == "__main__":
    main()

"""The test-suite rows: the use-case tests, run by pytest in a subprocess, one backend at a time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.table import Table, times, verdict
from bench.timing import measure

PROJECT = Path(__file__).resolve().parent.parent
TEST_FILES = ["tests/test_accounts.py", "tests/kit/test_savepoints.py"]


def selection(backend: str) -> str:
    """A -k expression for one backend's tests: the parameter id, since `-k sqlite` would
    also pick test_a_released_savepoint_..._on_sqlite_either[memory] and [postgres]."""
    return f"[{backend}]"


class SuiteRun:
    """Runs one backend's tests; remembers pytest's summary of the last run."""

    def __init__(self, backend: str, postgres_url: str | None) -> None:
        self.command = [
            sys.executable, "-m", "pytest", *TEST_FILES, "-k", selection(backend),
            "-p", "no:cacheprovider", "-q",
        ]  # fmt: skip
        self.environment = dict(os.environ)
        self.environment.pop("KEEL_TEST_POSTGRES_URL", None)
        if postgres_url is not None:
            self.environment["KEEL_TEST_POSTGRES_URL"] = postgres_url
        self.summary = "not run"

    def __call__(self) -> None:
        finished = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
            self.command, cwd=PROJECT, env=self.environment, capture_output=True, text=True
        )
        counts = re.findall(r"(\d+) (passed|failed|error|skipped)", finished.stdout)
        self.summary = ", ".join(f"{count} {outcome}" for count, outcome in counts)
        if finished.returncode != 0:
            self.summary = f"exit {finished.returncode}: {self.summary or 'no summary'}"


def rows(table: Table, postgres_url: str | None, rounds: int) -> None:
    names = ["memory", "sqlite"] + (["postgres"] if postgres_url else [])
    runs = {name: SuiteRun(name, postgres_url) for name in names}
    timings = measure(runs, rounds, 1)
    table.section("Test suite: test_accounts.py + kit/test_savepoints.py, pytest wall time")
    table.row("median seconds", {n: f"{timings.seconds(n):.2f} s" for n in names})
    table.row("pytest's summary", {n: runs[n].summary for n in names})
    ratios = {n: times(timings.ratio(n, "memory")) for n in names}
    target = f"postgres {verdict(timings.ratio('postgres', 'memory'), 4)}" if postgres_url else ""
    table.row("ratio to memory", ratios, target)

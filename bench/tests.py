"""`python -m bench.tests`: what one test costs on each backend, from pytest's own timings.

Runs the tests that exist on all three backends (the same test id, less its `[memory`,
`[sqlite` or `[postgres` parameter) in pytest, `--rounds` times. A test's cost is its setup,
call and teardown as pytest measured them, less the set-up of fixtures shared beyond one test
(the engines, the throwaway PostgreSQL server): those are paid once per session, not per
test. A test's figure is its median over the rounds, and only the tests that passed on all
three backends, every round, are compared.

This module is also the pytest plugin that records those durations: the pytest it runs loads
it with `-p bench.tests`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bench.table import Table, times, verdict

PROJECT = Path(__file__).resolve().parent.parent
BACKENDS = ["memory", "sqlite", "postgres"]
# The backend is the first parameter of a backend test's id: test_x[memory], test_x[memory-a].
SELECTION = " or ".join(f"[{backend}" for backend in BACKENDS)
# What a user feels: a memory test costs at most 0.5 ms, and PostgreSQL at least 5 times as
# much, on the medians and on the totals of the same tests.
MEMORY_MEDIAN_TARGET_MS = 0.5
MEMORY_SPEEDUP_TARGET = 5.0
DURATIONS_OPTION = "--keel-bench-durations"


# The plugin, inside the pytest that main() runs.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(DURATIONS_OPTION, metavar="PATH", help="write per-test seconds as JSON")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(DURATIONS_OPTION)
    if path:
        recorder = DurationRecorder(Path(path))
        config.pluginmanager.register(recorder, "keel-bench-durations")


class DurationRecorder:
    """Adds up each test's setup, call and teardown, less what shared fixtures cost it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.current = ""
        self.seconds: dict[str, float] = defaultdict(float)
        self.shared_setup: dict[str, float] = defaultdict(float)
        self.failed: set[str] = set()
        self.tore_down_shared: set[str] = set()
        self._shared_depth = 0

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.current = nodeid

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function" or self._shared_depth:
            return (yield)
        # A shared fixture is set up inside whichever test first needs it: not that test's cost.
        self._shared_depth += 1
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.shared_setup[self.current] += time.perf_counter() - started
            self._shared_depth -= 1

    def pytest_fixture_post_finalizer(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> None:
        # A shared fixture is torn down inside a test's teardown (the session's inside the last
        # test's); its time cannot be told apart from the test's, so that test is left out.
        if fixturedef.scope != "function":
            self.tore_down_shared.add(self.current)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] += report.duration
        if report.outcome != "passed":
            self.failed.add(report.nodeid)

    def pytest_sessionfinish(self) -> None:
        left_out = self.failed | self.tore_down_shared
        durations = {
            nodeid: seconds - self.shared_setup.get(nodeid, 0.0)
            for nodeid, seconds in self.seconds.items()
            if nodeid not in left_out
        }
        self.path.write_text(json.dumps(durations))


# The bench, outside: runs pytest, then compares the backends.


def backend_of(nodeid: str) -> tuple[str, str] | None:
    """(`backend`, the test id without it) for a backend test: test_x[memory-a] ->
    ("memory", "test_x[a]"); None for any other test."""
    match = re.fullmatch(r"(?P<name>.*)\[(?P<backend>[^-\]]+)(?:-(?P<rest>.*))?\]", nodeid)
    if match is None or match["backend"] not in BACKENDS:
        return None
    rest = f"[{match['rest']}]" if match["rest"] else ""
    return match["backend"], match["name"] + rest


def on_all_backends(nodeids: list[str]) -> list[str]:
    """The test ids, among `nodeids`, of the tests that exist on every backend."""
    backends: dict[str, set[str]] = defaultdict(set)
    for nodeid in nodeids:
        parsed = backend_of(nodeid)
        if parsed is not None:
            backends[parsed[1]].add(parsed[0])
    return [
        nodeid
        for nodeid in nodeids
        if (parsed := backend_of(nodeid)) and backends[parsed[1]] == set(BACKENDS)
    ]


def collect(arguments: list[str]) -> list[str]:
    """The ids of the tests that exist on all three backends, as pytest collects them."""
    command = [
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
        "-k", SELECTION, *arguments,
    ]  # fmt: skip
    finished = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        command, cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return on_all_backends([line for line in finished.stdout.splitlines() if "::" in line])


def run_pytest(nodeids: list[str]) -> tuple[dict[str, float], str]:
    """One pytest run of these tests: seconds per passed test id, and pytest's summary."""
    with tempfile.TemporaryDirectory(prefix="keel-bench-tests") as directory:
        durations = Path(directory) / "durations.json"
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench.tests",
            f"{DURATIONS_OPTION}={durations}", *nodeids,
        ]  # fmt: skip
        finished = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
            command, cwd=PROJECT, capture_output=True, text=True, check=False
        )
        summary = finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else ""
        if not durations.exists():
            sys.exit(f"pytest recorded no durations (exit {finished.returncode}):\n{finished}")
        return json.loads(durations.read_text()), summary


def per_backend(rounds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Seconds per shared test id, per backend: medians over the rounds, for the tests that
    passed on every backend in every round."""
    medians: dict[str, dict[str, float]] = {backend: {} for backend in BACKENDS}
    for nodeid in set.intersection(*(set(durations) for durations in rounds)):
        parsed = backend_of(nodeid)
        if parsed is not None:
            backend, test = parsed
            medians[backend][test] = statistics.median(run[nodeid] for run in rounds)
    shared = set.intersection(*(set(tests) for tests in medians.values()))
    return {
        backend: {test: seconds[test] for test in sorted(shared)}
        for backend, seconds in medians.items()
    }


def table(seconds: Mapping[str, Mapping[str, float]], rounds: int, summaries: list[str]) -> str:
    postgres = (
        "KEEL_TEST_POSTGRES_URL"
        if os.environ.get("KEEL_TEST_POSTGRES_URL")
        else "the suite's throwaway server"
    )
    result = Table(BACKENDS)
    result.caption(
        "keel tests, per test: setup + call + teardown as pytest timed them,"
        f" less the set-up of session fixtures; median of {rounds} runs of the backend tests;"
        f" PostgreSQL: {postgres}."
    )
    result.caption(
        "Only the tests that passed on all three backends, every run (the same id, less its"
        " backend); a test that tore down a shared fixture is left out."
    )
    result.caption("pytest said: " + "; ".join(summaries))
    medians = {backend: statistics.median(seconds[backend].values()) for backend in BACKENDS}
    totals = {backend: sum(seconds[backend].values()) for backend in BACKENDS}
    speedup = totals["postgres"] / totals["memory"]
    median_speedup = medians["postgres"] / medians["memory"]
    result.section("Backend tests, per test")
    result.row("tests compared", {b: str(len(seconds[b])) for b in BACKENDS})
    met = medians["memory"] * 1000 <= MEMORY_MEDIAN_TARGET_MS
    result.row(
        "median per test",
        {b: f"{medians[b] * 1000:.2f} ms" for b in BACKENDS},
        f"memory ≤ {MEMORY_MEDIAN_TARGET_MS:.2f} ms: {'met' if met else 'NOT met'}",
    )
    result.row(
        "postgres median over memory median",
        {"memory": times(median_speedup)},
        verdict(median_speedup, MEMORY_SPEEDUP_TARGET, at_most=False),
    )
    result.row("total", {b: f"{totals[b] * 1000:,.0f} ms" for b in BACKENDS})
    result.row(
        "postgres total over memory total",
        {"memory": times(speedup)},
        verdict(speedup, MEMORY_SPEEDUP_TARGET, at_most=False),
    )
    return result.render()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tests", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="pytest runs (%(default)s)")
    parser.add_argument(
        "pytest_arguments", nargs="*", help="narrow the tests, e.g. a file or `-- -k accounts`"
    )
    options = parser.parse_args()
    nodeids = collect(options.pytest_arguments)
    runs = [run_pytest(nodeids) for _ in range(options.rounds)]
    seconds = per_backend([durations for durations, _ in runs])
    if not seconds["memory"]:
        sys.exit("no test passed on all three backends: is PostgreSQL skipped?")
    print(table(seconds, options.rounds, [summary for _, summary in runs]))


if __name__ == "__main__":
    main()

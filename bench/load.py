"""`python -m bench.load`: the served API under concurrent registrations, on SQLite and PostgreSQL.

Each backend gets `keel serve` in a subprocess (uvicorn, production hashing cost,
rate limit off: this measures capacity, not the limiter), on a fresh database. Then CLIENTS
concurrent clients each register REGISTRATIONS accounts, while a probe in its own thread asks
the liveness route every 20 ms. Each backend is served twice: as before (40 request threads,
anyio's default, over a pool of 5 + 10 connections) and as the service now serves by default
(a thread per connection). It prints, per backend and variant: the answers by status class
(5xx must be 0), the probe's latency (p50, p99, max), the registrations' p99 and the server's
peak resident memory (VmHWM). Only 127.0.0.1 is ever contacted; every request has a timeout,
so a run always ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from bench.databases import DEFAULT_ADMIN_URL, PostgresServer

PASSWORD = "load test: a long passphrase nobody else uses"  # noqa: S105 - a test account
PROBE_INTERVAL_SECONDS = 0.02
REQUEST_TIMEOUT_SECONDS = 30.0
# What each variant sets; the pool stays at its defaults (5 + 10) in both.
VARIANTS = {"40 threads": {"KEEL_HTTP_THREADS": "40"}, "matched": {}}


@dataclass
class Result:
    backend: str
    statuses: Counter[int] = field(default_factory=Counter)
    probe_seconds: list[float] = field(default_factory=list)
    registration_seconds: list[float] = field(default_factory=list)
    probe_failures: int = 0
    idle_rss_kib: int = 0
    peak_rss_kib: int = 0
    seconds: float = 0.0

    def count(self, status_class: int) -> int:
        return sum(n for status, n in self.statuses.items() if status // 100 == status_class)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--registrations", type=int, default=4, help="per client")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument(
        "--admin-url", default=DEFAULT_ADMIN_URL, help="PostgreSQL, to create a database"
    )
    parser.add_argument("--liveness-path", default="/health/live")
    parser.add_argument("--workers", type=int, default=1, help="processes serving the API")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    arguments = parser.parse_args()

    results = []
    for backend in arguments.backends:
        for variant in arguments.variants:
            with (
                database(backend, arguments.admin_url) as url,
                served(url, VARIANTS[variant], arguments.workers) as (base_url, pid),
            ):
                results.append(run(f"{backend}, {variant}", base_url, pid, arguments))
    print(table(results, arguments))


@contextmanager
def database(backend: str, admin_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'keel.db'}"
        return
    server = PostgresServer(admin_url)
    try:
        url = server.create_database("load")
        migrate = [str(keel_script()), "db", "upgrade"]
        subprocess.run(migrate, env=environment(url), check=True, capture_output=True)  # noqa: S603
        yield url
    finally:
        server.drop_databases()


@contextmanager
def served(
    database_url: str, settings: dict[str, str], worker_count: int
) -> Iterator[tuple[str, int]]:
    """`keel serve` on a free local port; its base URL and (parent) process id."""
    port = free_port()
    address = ["--host", "127.0.0.1", "--port", str(port)]
    workers = ["--workers", str(worker_count)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - our own console script
            [str(keel_script()), "serve", *address, *workers],
            env=environment(database_url) | settings,
            stdout=log,
            stderr=log,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(base_url, server, log)
            yield base_url, server.pid
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def run(backend: str, base_url: str, pid: int, arguments: argparse.Namespace) -> Result:
    result = Result(backend, idle_rss_kib=memory_kib(pid, "VmRSS"))
    done = threading.Event()
    probe = threading.Thread(target=probe_liveness, args=(base_url, arguments, result, done))
    probe.start()
    started = time.perf_counter()
    try:
        asyncio.run(register_concurrently(base_url, arguments, result))
    finally:
        result.seconds = time.perf_counter() - started
        done.set()
        probe.join()
    result.peak_rss_kib = memory_kib(pid, "VmHWM")
    return result


async def register_concurrently(
    base_url: str, arguments: argparse.Namespace, result: Result
) -> None:
    limits = httpx.Limits(max_connections=arguments.clients)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS, limits=limits
    ) as client:

        async def one_client() -> None:
            for _ in range(arguments.registrations):
                body = {
                    "email": f"load-{uuid.uuid4().hex}@example.com",
                    "password": PASSWORD,
                    "password_confirmation": PASSWORD,
                }
                try:
                    started = time.perf_counter()
                    response = await client.post("/accounts", json=body)
                    result.registration_seconds.append(time.perf_counter() - started)
                    result.statuses[response.status_code] += 1
                except httpx.HTTPError:
                    result.statuses[0] += 1  # no answer at all: counted apart, never as 2xx

        await asyncio.gather(*(one_client() for _ in range(arguments.clients)))


def probe_liveness(
    base_url: str, arguments: argparse.Namespace, result: Result, done: threading.Event
) -> None:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        while not done.is_set():
            started = time.perf_counter()
            try:
                ok = client.get(arguments.liveness_path).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                result.probe_seconds.append(time.perf_counter() - started)
            else:
                result.probe_failures += 1
            done.wait(PROBE_INTERVAL_SECONDS)


def table(results: list[Result], arguments: argparse.Namespace) -> str:
    lines = [
        f"{arguments.clients} clients x {arguments.registrations} registrations, "
        f"liveness probe {arguments.liveness_path} every {PROBE_INTERVAL_SECONDS * 1000:.0f} ms",
        "",
        f"{arguments.workers} worker(s); pool 5 + 10 connections",
        "",
        "| backend, threads | 2xx | 4xx | 5xx | no answer | seconds"
        " | liveness p50 / p99 / max (probes) | registration p99 | idle RSS | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p = sorted(r.probe_seconds) or [float("nan")]
        p99 = percentile(p, 0.99)
        probes = f"({len(r.probe_seconds)} ok, {r.probe_failures} failed)"
        latency = f"{statistics.median(p) * 1000:.1f} / {p99 * 1000:.1f} / {p[-1] * 1000:.1f} ms"
        lines.append(
            f"| {r.backend} | {r.count(2)} | {r.count(4)} | {r.count(5)} | {r.statuses[0]} "
            f"| {r.seconds:.1f} | {latency} {probes} "
            f"| {percentile(r.registration_seconds, 0.99) * 1000:.0f} ms "
            f"| {r.idle_rss_kib / 1024:.0f} MiB | {r.peak_rss_kib / 1024:.0f} MiB |"
        )
    statuses = ", ".join(f"{r.backend}: {dict(sorted(r.statuses.items()))}" for r in results)
    return "\n".join([*lines, "", f"statuses: {statuses}"])


def percentile(seconds: list[float], fraction: float) -> float:
    ordered = sorted(seconds) or [float("nan")]
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def environment(database_url: str) -> dict[str, str]:
    return os.environ | {
        "KEEL_DATABASE_URL": database_url,
        "KEEL_RATE_LIMIT_ENABLED": "false",
    }


def wait_until_serving(base_url: str, server: subprocess.Popen[bytes], log: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"keel serve exited with {server.returncode}")
        try:
            httpx.get(f"{base_url}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("keel serve did not answer within 30 s")


def memory_kib(pid: int, field_name: str) -> int:
    """A memory figure of /proc/PID/status: VmRSS now, VmHWM the peak so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise LookupError(field_name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keel_script() -> Path:
    return Path(sys.executable).with_name("keel")


if __name__ == "__main__":
    main()

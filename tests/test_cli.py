"""The `keel` command line: what a user types, what they see, and the exit code."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from entrypoints.cli import main


def test_a_database_that_cannot_be_opened_exits_3_naming_no_internals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing" / "keel.db"
    monkeypatch.setenv("KEEL_DATABASE_URL", f"sqlite:///{missing}")

    exit_code = main(["db", "upgrade"])

    assert exit_code == 3
    assert capsys.readouterr().err.strip() == (
        "keel: the database failed: OperationalError (sqlite3.OperationalError)"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KEEL_DATABASE_POOL_SIZE", "0"),
        (
            "KEEL_DATABASE_URL",
            "mysql+nodriver://keel:hunter2@db/keel",
        ),
        ("KEEL_LOG_FORMAT", "hunter2"),
    ],
)
@pytest.mark.sql
def test_an_invalid_setting_exits_78_with_one_line_naming_it_and_never_its_value(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)

    exit_code = main(["db", "upgrade"])

    error = capsys.readouterr().err.strip()
    assert exit_code == 78
    assert error.startswith(f"keel: invalid settings: {variable}: ")
    assert len(error.splitlines()) == 1
    assert "hunter2" not in error


@pytest.mark.process
def test_importing_the_cli_loads_neither_fastapi_nor_uvicorn_nor_alembic() -> None:
    # In a fresh interpreter: this one has loaded them all for the other tests.
    loaded = (
        "import sys, entrypoints.cli; "
        "print(*sorted({name.partition('.')[0] for name in sys.modules}))"
    )

    finished = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", loaded], capture_output=True, text=True, check=True
    )

    assert not {"fastapi", "uvicorn", "alembic"} & set(finished.stdout.split())


@pytest.mark.process
@pytest.mark.sql
def test_serve_with_two_workers_migrates_sqlite_starts_both_and_answers(sqlite_url: str) -> None:
    script = Path(sys.executable).with_name("keel")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [str(script), "serve", "--port", str(port), "--workers", "2"],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert server.stderr is not None
        started = 0
        for line in server.stderr:  # each worker logs it once it serves
            started += "Application startup complete" in line
            if started == 2:
                break
        answered = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=10)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)

    assert answered.json() == {"status": "ok"}
    assert started == 2


def test_serve_refuses_fewer_than_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--workers", "0"])

    assert exit_.value.code == 2
    assert "--workers: must be at least 1" in capsys.readouterr().err

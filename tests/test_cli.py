"""The `keel` command line: what a user types, what they see, and the exit code."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import text

from adapters.kit.sqlalchemy.database import create_engine, create_schema
from bootstrap import build_container
from entrypoints.cli import main
from tests.accounts_support import CHEAP_HASHING, PASSWORD
from tests.outbox_support import queue_emails


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'keel.db'}"
    monkeypatch.setenv("KEEL_DATABASE_URL", url)
    # >>> example
    for name, value in CHEAP_HASHING.items():
        monkeypatch.setenv(f"KEEL_{name.upper()}", str(value))
    # <<< example
    return url


@pytest.fixture
def database(sqlite_url: str) -> str:
    engine = create_engine(sqlite_url)
    create_schema(engine)
    engine.dispose()
    return sqlite_url


# >>> example
def test_register_prints_the_new_account_and_user_ids(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["register", "--email", "ada@example.com", "--password", PASSWORD])

    printed = capsys.readouterr().out.split()
    assert exit_code == 0
    assert printed[0::2] == ["account", "user"]
    assert all(uuid.UUID(value) for value in printed[1::2])


def test_register_asks_for_the_password_twice_without_echo_when_it_is_omitted(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    assert main(["register", "--email", "ada@example.com"]) == 0
    assert PASSWORD not in capsys.readouterr().out


def test_register_with_bad_input_prints_one_line_naming_the_field_and_exits_2(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["register", "--email", "not-an-email", "--password", "tiny-pw"])

    error = capsys.readouterr().err.strip()
    assert exit_code == 2
    assert error.startswith("keel: invalid input: email:")
    assert "password:" in error
    assert "tiny-pw" not in error
    assert len(error.splitlines()) == 1


def test_register_with_an_undecodable_account_name_exits_2_naming_the_field(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Bytes that are not UTF-8 reach Python's argv as lone surrogates.
    name = b"Eng\xffines".decode("utf-8", "surrogateescape")

    exit_code = main(
        ["register", "--email", "ada@example.com", "--password", PASSWORD, "--account-name", name]
    )

    assert exit_code == 2
    assert capsys.readouterr().err.startswith("keel: invalid input: account_name:")


def test_register_with_a_taken_email_exits_1_and_writes_nothing(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["register", "--email", "ada@example.com", "--password", PASSWORD])

    exit_code = main(["register", "--email", "ADA@example.com", "--password", PASSWORD])

    assert exit_code == 1
    error = capsys.readouterr().err.strip()
    assert error == "keel: email already registered: ada@example.com"
    engine = create_engine(database)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM accounts")) == 1
    engine.dispose()


def test_the_installed_keel_script_registers_an_account(database: str) -> None:
    script = Path(sys.executable).with_name("keel")

    finished = subprocess.run(  # noqa: S603 - our own console script
        [str(script), "register", "--email", "ada@example.com", "--password", PASSWORD],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("account ")


# <<< example


# >>> outbox
def test_relay_once_sends_what_is_due_and_outbox_shows_it_as_sent(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_emails(build_container().unit_of_work(), 1)

    relayed = main(["relay", "--once"])
    relay_output = capsys.readouterr().out
    shown = main(["outbox"])

    assert (relayed, shown) == (0, 0)
    assert relay_output.strip() == "sent 1, retried later 0, dead 0"
    assert capsys.readouterr().out.split() == ["pending", "0", "sent", "1", "dead", "0"]


def test_outbox_retry_of_an_id_that_is_not_dead_exits_1_naming_it(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = uuid.uuid4()

    assert main(["outbox", "retry", str(unknown)]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"keel: dead notification not found: {unknown}"


def test_outbox_retry_of_a_malformed_id_exits_2(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "retry", "not-an-id"]) == 2
    assert "notification_id" in capsys.readouterr().err


def test_the_relay_runs_until_sigterm_then_stops_cleanly(database: str) -> None:
    script = Path(sys.executable).with_name("keel")
    relay = subprocess.Popen(  # noqa: S603 - our own console script
        [str(script), "relay"], stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert relay.stderr is not None
    assert "relay started" in relay.stderr.readline()

    relay.send_signal(signal.SIGTERM)

    assert relay.wait(timeout=10) == 0
    assert "relay stopped" in relay.stderr.read()


# <<< outbox


# >>> example
def test_a_database_that_was_never_migrated_exits_3_naming_no_internals(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["register", "--email", "ada@example.com", "--password", PASSWORD])

    assert exit_code == 3
    assert capsys.readouterr().err.strip() == (
        "keel: the database failed: OperationalError (sqlite3.OperationalError)"
    )


def test_a_database_locked_past_the_statement_timeout_exits_3_saying_to_retry(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEL_DATABASE_STATEMENT_TIMEOUT_SECONDS", "0.1")
    holder = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait

    exit_code = main(["register", "--email", "ada@example.com", "--password", PASSWORD])
    holder.close()

    assert exit_code == 3
    failure = "the database failed: OperationalError (sqlite3.OperationalError)"
    assert capsys.readouterr().err.strip() == f"keel: {failure}; retry"


# <<< example


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

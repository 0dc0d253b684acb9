"""The example's command, `register`: what it prints, and what it exits with."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.kit.sqlalchemy.database import create_engine
from entrypoints.cli import main
from tests.accounts_support import PASSWORD

# Every command here runs on a SQLite file.
pytestmark = pytest.mark.sql


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


@pytest.mark.process
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

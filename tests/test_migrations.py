"""Alembic migrations, on SQLite and PostgreSQL: they build the schema the features' tables declare,
every revision can be undone, and `keel db` drives them.

The PostgreSQL tests never touch the database named in KEEL_TEST_POSTGRES_URL, whose
tables the rest of the suite is using: each test gets a throwaway database on the same
server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, make_url

from adapters.kit.sqlalchemy.database import create_engine
from adapters.migrations import SCRIPT_LOCATION, downgrade, upgrade
from adapters.unit_of_work import schema
from entrypoints.cli import main
from tests.support import SQL_BACKENDS, postgres_url

# Migrations are SQL by nature.
pytestmark = pytest.mark.sql

TABLES = set(schema().tables)


@pytest.fixture
def throwaway_postgres_url() -> Iterator[str]:
    server_url = postgres_url()
    name = f"keel_migrations_{uuid.uuid4().hex}"
    # CREATE and DROP DATABASE refuse to run inside a transaction.
    server = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    server.dispose()


@pytest.fixture(params=SQL_BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keel.db'}"
    else:
        url = request.getfixturevalue("throwaway_postgres_url")
    engine = create_engine(url)
    yield engine
    engine.dispose()


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_migrating_to_head_builds_exactly_the_schema_the_tables_declare(
    empty_database: Engine,
) -> None:
    upgrade(empty_database)

    with empty_database.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema())
    assert differences == [], "the tables changed: add a revision (alembic revision --autogenerate)"


def test_every_revision_can_be_undone_and_applied_again(empty_database: Engine) -> None:
    oldest_first = reversed(list(ScriptDirectory(str(SCRIPT_LOCATION)).walk_revisions()))

    for script in oldest_first:
        upgrade(empty_database, script.revision)
        # This revision alone undone: down to a parent (a merge's first: the others stay), or
        # one step down its own branch.
        parents = script.down_revision
        downgrade(
            empty_database, parents[0] if isinstance(parents, tuple) else f"{script.revision}@-1"
        )
        upgrade(empty_database, script.revision)

        assert script.revision in current_revisions(empty_database)


def test_keel_db_upgrade_creates_the_tables(sqlite_url: str) -> None:
    exit_code = main(["db", "upgrade"])

    assert exit_code == 0
    assert tables(sqlite_url) == TABLES | {"alembic_version"}


def test_keel_db_downgrade_to_base_drops_the_tables(sqlite_url: str) -> None:
    main(["db", "upgrade"])

    exit_code = main(["db", "downgrade", "base"])

    assert exit_code == 0
    assert tables(sqlite_url) == {"alembic_version"}


def test_keel_db_upgrade_to_an_unknown_revision_is_refused_as_bad_input(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["db", "upgrade", "no-such-revision"])

    assert exit_code == 2
    assert capsys.readouterr().err.strip().startswith("keel: ")
    assert tables(sqlite_url) == set()


@pytest.mark.process
def test_the_alembic_command_migrates_the_database_named_in_keel_database_url(
    sqlite_url: str,
) -> None:
    alembic = Path(sys.executable).with_name("alembic")
    alembic_ini = Path(__file__).parents[1] / "alembic.ini"

    finished = subprocess.run(  # noqa: S603 - the alembic script of this virtualenv
        [str(alembic), "-c", str(alembic_ini), "upgrade", "head"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert tables(sqlite_url) == TABLES | {"alembic_version"}


def test_keel_db_on_the_memory_backend_says_there_is_no_schema_and_succeeds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEL_DATABASE_URL", "memory://")

    exit_code = main(["db", "upgrade"])

    assert exit_code == 0
    assert "no schema" in capsys.readouterr().err

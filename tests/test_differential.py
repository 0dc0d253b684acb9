"""The example on the differential harness: registrations, renames, invitations, savepoints
and callbacks observe the same on memory as on SQLite and PostgreSQL, and leave the same
committed state."""

from __future__ import annotations

import pytest

from tests.accounts_differential import AccountsEverywhere, AccountsWorld, Step, worlds
from tests.kit.differential import run_differential
from tests.support import SQL_BACKENDS, backend_for


@pytest.mark.parametrize("database", SQL_BACKENDS)
def test_the_memory_backend_behaves_like_the_database(
    database: str, request: pytest.FixtureRequest
) -> None:
    run_differential(AccountsEverywhere, worlds(AccountsWorld, database, request))


# Divergences the machine found, replayed on every run. (Hypothesis has no @example for
# stateful tests, so each is kept as the script that exposed it.)
REGRESSIONS = {
    # Memory bumped the version when saving an unchanged entity; the ORM writes nothing.
    "saving_an_unchanged_account_keeps_its_version": [
        Step("add", "ada@example.com"),
        Step("rename", "ada@example.com", "Compilers"),
        Step("rename", "ada@example.com", "Compilers"),
        Step("read", "ada@example.com"),
    ],
}


@pytest.mark.parametrize("database", SQL_BACKENDS)
@pytest.mark.parametrize("script", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_a_divergence_found_once_stays_fixed(
    script: list[Step], database: str, request: pytest.FixtureRequest
) -> None:
    memory = AccountsWorld(backend_for("memory", request))
    sql = AccountsWorld(backend_for(database, request))

    assert memory.script(script, roll_back=False) == sql.script(script, roll_back=False)
    assert memory.state() == sql.state()

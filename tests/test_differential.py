"""The in-memory unit of work proven equal to the database, by a differential test.

Hypothesis drives the same random sequence of operations against the memory backend and a SQL
backend side by side, and after every step asserts that both observed the same results, the
same errors and the same committed state. Raise KEEL_DIFFERENTIAL_EXAMPLES to search
longer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from dependency_injector import providers
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from adapters.kit.clock import ManualClock
from application.accounts.commands import CreateAccountCommand
from domain.accounts import Account, User
from domain.email import Email
from tests.accounts_support import PASSWORD
from tests.outbox_support import recorded
from tests.support import Backend, backend_for

EXAMPLES = int(os.environ.get("KEEL_DIFFERENTIAL_EXAMPLES", "30"))
EMAILS = ["ada@example.com", "ADA@example.com", "grace@example.com", "alan@example.com"]
NAMES = ["Engines", "Compilers", "Machines"]
# More people than an account has seats (5), so that invitations run out of them.
INVITEES = [f"{name}@example.org" for name in ("ida", "joan", "kay", "lin", "mae", "noor", "ola")]


class Boom(Exception):
    """The failure a script injects on purpose."""


@dataclass(frozen=True)
class Step:
    action: str
    email: str
    name: str = ""
    invitee: str = INVITEES[0]


steps = st.builds(
    Step,
    action=st.sampled_from(
        [
            "add",
            "add_user_without_account",
            "nested_add",
            "nested_add_then_fail",
            "rename",
            "stale_rename",
            "read",
            "on_commit",
            "invite",
            "withdraw",
        ]
    ),
    email=st.sampled_from(EMAILS),
    name=st.sampled_from(NAMES),
    invitee=st.sampled_from(INVITEES),
)


class World:
    """One backend as the machine sees it: every observation is free of backend-made ids."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.uow = backend.uow
        self.ran: list[str] = []
        self.clock = ManualClock()
        backend.container.clock.override(providers.Object(self.clock))

    # >>> outbox
    def relay(self, minutes_later: int) -> str:
        self.clock.advance(timedelta(minutes=minutes_later))
        return outcome(self.backend.container.relay().drain)

    # <<< outbox

    def register(self, email: str) -> str:
        command = CreateAccountCommand(
            email=email, password=PASSWORD, password_confirmation=PASSWORD
        )
        return outcome(lambda: self.backend.container.register_account().execute(command))

    def script(self, script: list[Step], roll_back: bool) -> list[str]:
        observed: list[str] = []

        def run() -> None:
            with self.uow.transaction():
                observed.extend(outcome(partial(self._step, step)) for step in script)
                if roll_back:
                    raise Boom

        observed.append(outcome(run))
        return observed

    def _step(self, step: Step) -> object:
        uow = self.uow
        if step.action == "add":
            return self._add(step.email)
        if step.action == "add_user_without_account":
            _, orphan = User.create_with_account(Email(step.email), password_hash="$argon2id$x")
            uow.users.add(orphan)
            return "added"
        if step.action in ("nested_add", "nested_add_then_fail"):
            with uow.transaction():
                self._add(step.email)
                if step.action == "nested_add_then_fail":
                    raise Boom
            return "added"
        if step.action == "on_commit":
            uow.on_commit(lambda: self.ran.append(step.email))
            return "registered callback"
        user = uow.users.get_by_email(Email(step.email))
        if user is None:
            return "no such user"
        if step.action in ("invite", "withdraw"):
            account = uow.accounts.get_for_update(user.account_id)
            if step.action == "invite":
                account.invite(Email(step.invitee))
            else:
                account.withdraw(Email(step.invitee))
            uow.accounts.save(account)
            return (len(account.invitations), account.version)
        account = uow.accounts.get(user.account_id)
        if step.action == "read":
            return (account.name, account.version, user.role.value, user.version)
        if step.action == "stale_rename":
            account = Account(id=account.id, name=step.name, version=account.version - 1)
        account.rename(step.name)
        uow.accounts.save(account)
        return account.version

    def _add(self, email: str) -> str:
        account, admin = User.create_with_account(Email(email), password_hash="$argon2id$x")
        self.uow.accounts.add(account)
        self.uow.users.add(admin)
        return "added"

    def state(self) -> Any:
        with self.uow.transaction():
            users = {email: self.uow.users.get_by_email(Email(email)) for email in EMAILS}
            return {
                email: None
                if user is None
                else (
                    self.uow.accounts.get(user.account_id).name,
                    self.uow.accounts.get(user.account_id).version,
                    self.uow.accounts.get(user.account_id).invitations,
                    user.version,
                    # >>> outbox
                    [n.kind for n in self.uow.notifications.about(str(user.id))],
                    # <<< outbox
                )
                for email, user in users.items()
            }

    def counts(self) -> tuple[int, ...]:
        rows = self.backend.rows
        return (
            rows("accounts"),
            rows("invitations"),
            rows("users"),
            # >>> outbox
            rows("notifications"),
            len(recorded(self.backend).sent),
            # <<< outbox
        )


def outcome(action: Callable[[], object]) -> str:
    """What a caller observes: a result without ids, or the class of the error raised."""
    try:
        result = action()
    except Exception as error:
        return type(error).__name__
    return "ok" if hasattr(result, "account_id") else repr(result)


def differential_machine(make_backends: Callable[[], tuple[Backend, Backend]]) -> type:
    class MemoryEqualsDatabase(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            memory, database = make_backends()
            self.worlds = (World(memory), World(database))

        def both(self, act: Callable[[World], object]) -> None:
            memory, database = (act(world) for world in self.worlds)
            assert memory == database

        @rule(email=st.sampled_from(EMAILS))
        def register(self, email: str) -> None:
            self.both(lambda world: world.register(email))

        # >>> outbox
        @rule(minutes_later=st.integers(min_value=0, max_value=10))
        def relay(self, minutes_later: int) -> None:
            self.both(lambda world: world.relay(minutes_later))

        # <<< outbox

        @rule(script=st.lists(steps, max_size=5), roll_back=st.booleans())
        def run_script(self, script: list[Step], roll_back: bool) -> None:
            self.both(lambda world: world.script(script, roll_back))

        @invariant()
        def same_committed_state(self) -> None:
            self.both(lambda world: (world.state(), world.counts(), world.ran))

    return MemoryEqualsDatabase


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_the_memory_backend_behaves_like_the_database(
    database: str, request: pytest.FixtureRequest
) -> None:
    machine = differential_machine(
        lambda: (backend_for("memory", request), backend_for(database, request))
    )
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None),
    )


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


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
@pytest.mark.parametrize("script", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_a_divergence_found_once_stays_fixed(
    script: list[Step], database: str, request: pytest.FixtureRequest
) -> None:
    memory = World(backend_for("memory", request))
    sql = World(backend_for(database, request))

    assert memory.script(script, roll_back=False) == sql.script(script, roll_back=False)
    assert memory.state() == sql.state()

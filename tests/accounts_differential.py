"""The example's world and machine on the differential harness (tests/kit/differential.py):
registrations, renames, invitations, savepoints and callbacks. test_differential.py runs them;
where the outbox is, test_welcome.py extends them with the welcome and the relay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from dependency_injector import providers
from hypothesis import strategies as st
from hypothesis.stateful import rule

from adapters.kit.clock import ManualClock
from application.accounts.commands import CreateAccountCommand
from domain.accounts import Account, User
from domain.email import Email
from tests.accounts_support import PASSWORD
from tests.kit.differential import MemoryEqualsDatabase, in_one_transaction, outcome
from tests.support import Backend, Boom, backend_for

EMAILS = ["ada@example.com", "ADA@example.com", "grace@example.com", "alan@example.com"]
NAMES = ["Engines", "Compilers", "Machines"]
# More people than an account has seats (5), so that invitations run out of them.
INVITEES = [f"{name}@example.org" for name in ("ida", "joan", "kay", "lin", "mae", "noor", "ola")]


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


class AccountsWorld:
    """One backend as the machine sees it: every observation is free of backend-made ids."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.uow = backend.uow
        self.ran: list[str] = []
        self.clock = ManualClock()
        backend.container.clock.override(providers.Object(self.clock))

    def register(self, email: str) -> str:
        command = CreateAccountCommand(
            email=email, password=PASSWORD, password_confirmation=PASSWORD
        )
        register = self.backend.container.register_account()
        return outcome(lambda: register.execute(command) and "registered")

    def script(self, script: list[Step], roll_back: bool) -> list[str]:
        return in_one_transaction(self.uow, script, self._step, roll_back)

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

    def state(self) -> object:
        return self.users(), self.counts(), self.ran

    def users(self) -> object:
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
                )
                for email, user in users.items()
            }

    def counts(self) -> tuple[int, ...]:
        return tuple(self.backend.rows(table) for table in ("accounts", "invitations", "users"))


class AccountsEverywhere(MemoryEqualsDatabase):
    @rule(email=st.sampled_from(EMAILS))
    def register(self, email: str) -> None:
        self.both(lambda world: world.register(email))

    @rule(script=st.lists(steps, max_size=5), roll_back=st.booleans())
    def run_script(self, script: list[Step], roll_back: bool) -> None:
        self.both(lambda world: world.script(script, roll_back))


def worlds(
    world: Callable[[Backend], AccountsWorld], database: str, request: pytest.FixtureRequest
) -> Callable[[], tuple[AccountsWorld, AccountsWorld]]:
    """Makes the two worlds of one example: memory and database, each reset."""
    return lambda: (world(backend_for("memory", request)), world(backend_for(database, request)))

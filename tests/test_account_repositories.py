"""The repository contract on the example's repositories, on every backend."""

from __future__ import annotations

import uuid

import pytest

from adapters.unit_of_work import ServiceUnitOfWork
from domain.accounts import Account, AccountId, EmailAlreadyRegistered, Role, User, UserId
from domain.email import Email
from tests.kit.repository_contract import ChangeContract
from tests.kit.rule_contracts import ParentContract, UniqueContract
from tests.support import Backend


@pytest.fixture
def uow(backend: Backend) -> ServiceUnitOfWork:
    return backend.uow


def new_account() -> Account:
    return Account(id=AccountId(uuid.uuid4()), name="Engines")


class TestAccounts(ChangeContract):
    def repository(self, uow: ServiceUnitOfWork) -> object:
        return uow.accounts

    def new(self, uow: ServiceUnitOfWork) -> Account:
        return new_account()

    def change(self, account: Account) -> None:
        account.rename(f"Engines {uuid.uuid4().hex[:8]}")
        for invitation in account.invitations[:1]:
            account.withdraw(invitation.email)
        account.invite(Email(f"{uuid.uuid4().hex[:8]}@example.com"))


class TestUsers(UniqueContract, ParentContract):
    clash_error = EmailAlreadyRegistered

    def repository(self, uow: ServiceUnitOfWork) -> object:
        return uow.users

    def new(self, uow: ServiceUnitOfWork) -> User:
        account = new_account()
        uow.accounts.add(account)
        return User(UserId(uuid.uuid4()), account.id, Email(f"{uuid.uuid4().hex[:8]}@ex.com"), "h")

    def clash(self, user: User) -> User:
        shouted = Email(user.email.value.upper())  # the same address, normalised
        return User(UserId(uuid.uuid4()), user.account_id, shouted, "h", Role.MEMBER)

    def orphan(self) -> User:
        return User(UserId(uuid.uuid4()), AccountId(uuid.uuid4()), Email("o@ex.com"), "h")

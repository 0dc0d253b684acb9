"""Queries: use cases that read. They change nothing and return copies of what is stored."""

from __future__ import annotations

from application.ports import UnitOfWork
from domain.accounts import Account, AccountId, User, UserId


class GetAccount:
    """Reads one account as it was last committed; raises NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self, account_id: AccountId) -> Account:
        with self._uow.transaction():
            return self._uow.accounts.get(account_id)


class GetUser:
    """Reads one user as it was last committed; raises NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self, user_id: UserId) -> User:
        with self._uow.transaction():
            return self._uow.users.get(user_id)

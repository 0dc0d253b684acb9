"""Queries: use cases that read. They change nothing and return copies of what is stored."""

from __future__ import annotations

from application.ports import UnitOfWork
from domain.accounts import Account, AccountId, User, UserId
from domain.email import Email

# A reserved domain (RFC 2606): no user can have this address, so the lookup finds nothing.
_NOBODY = Email("health-check@example.invalid")


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


class CheckHealth:
    """Proves that the storage answers: opens a transaction and reads from it.

    Returns when the read succeeded; otherwise raises whatever the storage raised.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self) -> None:
        # Beginning a transaction may not touch the database yet; a query always does.
        with self._uow.transaction():
            self._uow.users.get_by_email(_NOBODY)

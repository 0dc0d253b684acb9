"""Repositories over an in-memory transaction, raising what the SQL ones raise, at the same call."""

from __future__ import annotations

from collections.abc import Hashable

from adapters.memory.database import MemoryTransaction
from adapters.transactions import Transaction
from application.errors import ConcurrentUpdate, NotFound, StorageError
from domain.accounts import Account, AccountId, Email, User, UserId
from domain.errors import EmailAlreadyRegistered


class MemoryRepository:
    def __init__(self, transaction: Transaction[MemoryTransaction]) -> None:
        self._transaction = transaction

    @property
    def _rows(self) -> MemoryTransaction:
        # Asked on every call, so a repository kept in a variable still refuses to work in a
        # doomed block or after its transaction ended.
        return self._transaction.usable()

    # The primary and foreign keys a SQL schema enforces, failing as the SQL adapter does.
    def _require_absent(self, table: str, key: Hashable) -> None:
        if self._rows.get(table, key) is not None:
            raise self._transaction.doom(StorageError("IntegrityError"))

    def _require_present(self, table: str, key: Hashable) -> None:
        if self._rows.get(table, key) is None:
            raise self._transaction.doom(StorageError("IntegrityError"))


class InMemoryAccounts(MemoryRepository):
    def add(self, account: Account) -> None:
        self._rows.lock(("accounts", account.id))
        self._require_absent("accounts", account.id)
        account.version = 1
        self._rows.put("accounts", account.id, account)

    def get(self, account_id: AccountId) -> Account:
        account: Account | None = self._rows.get("accounts", account_id)
        if account is None:
            raise NotFound("account", account_id)
        return account

    def save(self, account: Account) -> None:
        stored = self.get(account.id)
        if stored == account:
            return  # nothing changed: like the ORM, write nothing, lock nothing
        self._rows.lock(("accounts", account.id))  # as UPDATE locks the row until commit
        stored = self.get(account.id)
        if stored.version != account.version:
            raise self._transaction.doom(ConcurrentUpdate("account", account.id, account.version))
        account.version += 1
        self._rows.put("accounts", account.id, account)


class InMemoryUsers(MemoryRepository):
    def add(self, user: User) -> None:
        # Waits for a concurrent transaction adding the same email, as a unique index does.
        self._rows.lock(("users.email", user.email))
        if self._rows.find("users", "email", user.email) is not None:
            raise self._transaction.doom(EmailAlreadyRegistered(user.email))
        self._require_absent("users", user.id)
        self._require_present("accounts", user.account_id)
        user.version = 1
        self._rows.put("users", user.id, user, unique={"email": user.email})

    def get(self, user_id: UserId) -> User:
        user: User | None = self._rows.get("users", user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    def get_by_email(self, email: Email) -> User | None:
        user: User | None = self._rows.find("users", "email", email)
        return user

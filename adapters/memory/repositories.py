"""Repositories over an in-memory transaction, raising what the SQL ones raise, at the same call."""

from __future__ import annotations

from adapters.memory.database import MemoryTransaction
from adapters.transactions import Transaction
from application.errors import ConcurrentUpdate, NotFound
from domain.accounts import Account, AccountId, Email, User, UserId
from domain.errors import DuplicateNotification, EmailAlreadyRegistered
from domain.notifications import Notification


class InMemoryAccounts:
    def __init__(self, transaction: Transaction[MemoryTransaction]) -> None:
        self._transaction = transaction
        self._rows = transaction.handle

    def add(self, account: Account) -> None:
        account.version = 1
        self._rows.lock(("accounts", account.id))
        self._rows.put("accounts", account.id, account, unique={})

    def get(self, account_id: AccountId) -> Account:
        account: Account | None = self._rows.get("accounts", account_id)
        if account is None:
            raise NotFound("account", account_id)
        return account

    def save(self, account: Account) -> None:
        self._rows.lock(("accounts", account.id))  # as UPDATE locks the row until commit
        stored = self.get(account.id)
        if stored.version != account.version:
            raise self._transaction.doom(ConcurrentUpdate("account", account.id, account.version))
        account.version += 1
        self._rows.put("accounts", account.id, account, unique={})


class InMemoryUsers:
    def __init__(self, transaction: Transaction[MemoryTransaction]) -> None:
        self._transaction = transaction
        self._rows = transaction.handle

    def add(self, user: User) -> None:
        # Waits for a concurrent transaction adding the same email, as a unique index does.
        self._rows.lock(("users.email", user.email))
        if self._rows.find("users", "email", user.email) is not None:
            raise self._transaction.doom(EmailAlreadyRegistered(user.email))
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


class InMemoryNotifications:
    def __init__(self, transaction: Transaction[MemoryTransaction]) -> None:
        self._transaction = transaction
        self._rows = transaction.handle

    def add(self, notification: Notification) -> None:
        key = notification.idempotency_key
        self._rows.lock(("notifications.idempotency_key", key))
        if self._rows.find("notifications", "idempotency_key", key) is not None:
            raise self._transaction.doom(DuplicateNotification(key))
        self._rows.put(
            "notifications", notification.id, notification, unique={"idempotency_key": key}
        )

    def for_user(self, user_id: UserId) -> list[Notification]:
        found: list[Notification] = self._rows.scan(
            "notifications", lambda notification: notification.user_id == user_id
        )
        return sorted(found, key=lambda notification: notification.kind)

"""Ports: what the application needs from the outside world, and nothing about how."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from domain.accounts import Account, AccountId, Email, User, UserId
from domain.notifications import Notification


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, account_id: AccountId) -> Account:
        """A copy of the stored account; raises NotFound."""
        ...

    def save(self, account: Account) -> None:
        """Stores changes; raises ConcurrentUpdate if it changed since it was read.

        On success the account's version is the stored one, so it can be saved again.
        """
        ...


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Raises EmailAlreadyRegistered if another user has the email, committed or not."""
        ...

    def get(self, user_id: UserId) -> User:
        """A copy of the stored user; raises NotFound."""
        ...

    def get_by_email(self, email: Email) -> User | None: ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None:
        """Raises DuplicateNotification if one with the same idempotency key exists."""
        ...

    def for_user(self, user_id: UserId) -> list[Notification]: ...


class UnitOfWork(Protocol):
    """Transactions with the semantics of Django's `atomic`, and the repositories inside them.

    `transaction()` is all-or-nothing: the outermost block commits or rolls back; a nested
    block is a savepoint that undoes only its own writes when it raises. A failed write dooms
    the block it ran in. Repositories are usable only inside a transaction.
    """

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        """Begins a transaction, or a savepoint when one is active; durable refuses to nest."""
        ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Runs callback once after the outermost commit; never after a rollback."""
        ...


class PasswordHasher(Protocol):
    """Turns a password into a hash safe to store, and checks a password against it."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass(frozen=True)
class EmailMessage:
    recipient: Email
    subject: str
    body: str
    idempotency_key: str


class EmailSender(Protocol):
    """Delivers an email or raises; a receiver may deduplicate by the idempotency key."""

    def send(self, message: EmailMessage) -> None: ...

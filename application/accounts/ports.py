"""What the registration example needs from the outside: its repositories, on a unit of work
of its own, and a password hasher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from application.kit.ports import UnitOfWork
from domain.accounts import Account, AccountId, User, UserId
from domain.email import Email


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, account_id: AccountId) -> Account:
        """A copy of the stored account, invitations included; raises NotFound."""
        ...

    def get_for_update(self, account_id: AccountId) -> Account:
        """As get, and no other transaction can change or lock the account until this one
        ends: read this way, a check on it (a free seat) still holds when it is saved."""
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


@dataclass(frozen=True)
class Registered:
    """What a step that follows a registration learns of it."""

    account_id: AccountId
    user_id: UserId
    email: Email


class FollowUp(Protocol):
    """A step in a registration's transaction after the account is made, such as queueing the
    welcome email: optional, since RegisterAccount runs it in a savepoint of its own."""

    def follow_up(self, registered: Registered) -> None: ...


class AccountsUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that offers the example's repositories."""

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def users(self) -> UserRepository: ...


class PasswordHasher(Protocol):
    """Turns a password into a hash safe to store, and checks a password against it."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

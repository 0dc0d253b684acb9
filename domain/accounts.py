"""Accounts and their users: who may sign in, to which account they belong, and who is invited."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import NewType

from domain.email import Email
from domain.errors import AlreadyInvited, InvalidAccountName, SeatLimitReached

AccountId = NewType("AccountId", uuid.UUID)
UserId = NewType("UserId", uuid.UUID)

MAX_ACCOUNT_NAME_LENGTH = 100
DEFAULT_SEAT_LIMIT = 5


def account_name(name: str) -> str:
    """The account name as stored: without surrounding spaces, 1 to 100 characters."""
    stripped = name.strip()
    if not stripped:
        raise InvalidAccountName(name, "it is empty")
    if len(stripped) > MAX_ACCOUNT_NAME_LENGTH:
        raise InvalidAccountName(name, f"it has more than {MAX_ACCOUNT_NAME_LENGTH} characters")
    return stripped


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class Invitation:
    """A seat of the account, kept for someone who has not joined yet."""

    email: Email
    role: Role = Role.MEMBER


@dataclass
class Account:
    """An account and its invitations (listed by email): one aggregate, stored and versioned
    as a whole."""

    id: AccountId
    name: str
    seat_limit: int = DEFAULT_SEAT_LIMIT
    invitations: list[Invitation] = field(default_factory=list)
    version: int = 0

    def __post_init__(self) -> None:
        self.name = account_name(self.name)

    def rename(self, name: str) -> None:
        self.name = account_name(name)

    def invite(self, email: Email, role: Role = Role.MEMBER) -> Invitation:
        """Takes a seat for email; each invitation holds one of the account's seats."""
        if any(invitation.email == email for invitation in self.invitations):
            raise AlreadyInvited(email)
        if len(self.invitations) >= self.seat_limit:
            raise SeatLimitReached(self.seat_limit)
        invitation = Invitation(email, role)
        self.invitations.append(invitation)
        self.invitations.sort(key=lambda i: i.email.value)
        return invitation

    def withdraw(self, email: Email) -> None:
        """Frees the seat held for email, if any."""
        self.invitations = [i for i in self.invitations if i.email != email]


@dataclass
class User:
    id: UserId
    account_id: AccountId
    email: Email
    password_hash: str = field(repr=False)
    role: Role = Role.MEMBER
    version: int = 0

    @classmethod
    def create_with_account(
        cls, email: Email, password_hash: str, account_name: str | None = None
    ) -> tuple[Account, User]:
        """A new account and its first user, who administers it."""
        account = Account(id=AccountId(uuid.uuid4()), name=account_name or str(email))
        admin = cls(
            id=UserId(uuid.uuid4()),
            account_id=account.id,
            email=email,
            password_hash=password_hash,
            role=Role.ADMIN,
        )
        return account, admin

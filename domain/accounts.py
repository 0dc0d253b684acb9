"""Accounts and their users: who may sign in, and to which account they belong."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import NewType

from domain.errors import InvalidAccountName, InvalidEmail

AccountId = NewType("AccountId", uuid.UUID)
UserId = NewType("UserId", uuid.UUID)


@dataclass(frozen=True)
class Email:
    """An email address, normalised so that case variants are the same address."""

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        local, at, domain = normalised.partition("@")
        if not (local and at and domain) or "@" in domain or any(c.isspace() for c in normalised):
            raise InvalidEmail(self.value)
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass
class Account:
    id: AccountId
    name: str
    version: int = 0

    def __post_init__(self) -> None:
        self.name = _valid_account_name(self.name)

    def rename(self, name: str) -> None:
        self.name = _valid_account_name(name)


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


def _valid_account_name(name: str) -> str:
    stripped = name.strip()
    if not 1 <= len(stripped) <= 100:
        raise InvalidAccountName(name)
    return stripped

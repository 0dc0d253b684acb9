"""Accounts and their users: who may sign in, to which account they belong, and who is invited."""

from __future__ import annotations

import enum
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import NewType

from domain.email import Email
from domain.errors import Conflict, InvalidValue

AccountId = NewType("AccountId", uuid.UUID)
UserId = NewType("UserId", uuid.UUID)

MAX_ACCOUNT_NAME_LENGTH = 100
DEFAULT_SEAT_LIMIT = 5

# Characters a name must not hold: they break storage (NUL, lone surrogates, which PostgreSQL
# and UTF-8 refuse), logs and terminals (controls, line separators), or make a name display
# as something it is not (bidirectional overrides, RTL/LTR marks and isolates).
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def account_name(name: str) -> str:
    """The account name as stored: without surrounding spaces, 1 to 100 characters, none of
    them a control, a lone surrogate or a bidirectional formatting character."""
    stripped = name.strip()
    if not stripped:
        raise InvalidAccountName(name, "it is empty")
    if len(stripped) > MAX_ACCOUNT_NAME_LENGTH:
        raise InvalidAccountName(name, f"it has more than {MAX_ACCOUNT_NAME_LENGTH} characters")
    if stripped.isprintable():
        return stripped  # printable characters are none of the forbidden ones: no need to look
    for character in stripped:
        if unicodedata.category(character) in _FORBIDDEN_CATEGORIES or character in _BIDI_CONTROLS:
            raise InvalidAccountName(
                name, f"it contains a control or formatting character (U+{ord(character):04X})"
            )
    return stripped


def default_account_name(email: Email) -> str:
    """The name of an account registered without one: its admin's email, shortened to fit
    (an address may have 254 characters, a name 100)."""
    address = str(email)
    if len(address) <= MAX_ACCOUNT_NAME_LENGTH:
        return address
    return address[: MAX_ACCOUNT_NAME_LENGTH - 1] + "\u2026"


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
        name = account_name or default_account_name(email)
        account = Account(id=AccountId(uuid.uuid4()), name=name)
        admin = cls(
            id=UserId(uuid.uuid4()),
            account_id=account.id,
            email=email,
            password_hash=password_hash,
            role=Role.ADMIN,
        )
        return account, admin


class InvalidAccountName(InvalidValue):
    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid account name {value!r}: {reason}")
        self.value = value
        self.reason = reason


class EmailAlreadyRegistered(Conflict):
    def __init__(self, email: object) -> None:
        super().__init__(f"email already registered: {email}")
        self.email = email


class AlreadyInvited(Conflict):
    def __init__(self, email: object) -> None:
        super().__init__(f"already invited: {email}")
        self.email = email


class SeatLimitReached(Conflict):
    def __init__(self, seat_limit: int) -> None:
        super().__init__(f"every seat is taken: the account has {seat_limit}")
        self.seat_limit = seat_limit

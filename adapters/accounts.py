"""The example's tables, the mapping between their rows and the entities, and its
repositories, declared once for every backend."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Uuid

from adapters.kit.aggregates import Aggregate, AggregateRepository, Children
from adapters.kit.guard import repository
from adapters.kit.storage import Row
from adapters.kit.tables import metadata
from domain.accounts import (
    Account,
    AccountId,
    EmailAlreadyRegistered,
    Invitation,
    Role,
    User,
    UserId,
)
from domain.email import Email

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("seat_limit", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("role", String(20), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("version", Integer, nullable=False),
)


def account_row(account: Account) -> Row:
    return {
        "id": account.id,
        "name": account.name,
        "seat_limit": account.seat_limit,
        "invitations": [
            {"email": i.email.value, "role": i.role.value} for i in account.invitations
        ],
    }


def account_entity(row: Row) -> Account:
    return Account(
        id=AccountId(row["id"]),
        name=row["name"],
        seat_limit=row["seat_limit"],
        invitations=[Invitation(Email(i["email"]), Role(i["role"])) for i in row["invitations"]],
        version=row["version"],
    )


def user_row(user: User) -> Row:
    return {
        "id": user.id,
        "account_id": user.account_id,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "role": user.role.value,
    }


def user_entity(row: Row) -> User:
    return User(
        id=UserId(row["id"]),
        account_id=AccountId(row["account_id"]),
        email=Email(row["email"]),
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        version=row["version"],
    )


class Accounts(AggregateRepository[Account]):
    aggregate = Aggregate(
        kind="account",
        table=accounts,
        to_row=account_row,
        to_entity=account_entity,
        children=(Children(invitations, parent_column="account_id"),),
    )


class Users(AggregateRepository[User]):
    aggregate = Aggregate(
        kind="user",
        table=users,
        to_row=user_row,
        to_entity=user_entity,
        conflicts={"email": lambda user: EmailAlreadyRegistered(user.email)},
    )

    def get_by_email(self, email: Email) -> User | None:
        return self._find_one("email", email.value)


class AccountRepositories:
    """The example's repositories, on whichever unit of work lists this class."""

    accounts = repository(Accounts)
    users = repository(Users)

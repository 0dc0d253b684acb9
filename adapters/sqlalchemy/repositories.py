"""Repositories over a session. Every write is flushed at once, so its error comes from the
call that caused it; driver errors are translated, so the application never sees SQLAlchemy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from adapters.sqlalchemy.database import storage_errors
from adapters.sqlalchemy.models import (
    AccountRow,
    UserRow,
    account_entity,
    account_row,
    user_entity,
    user_row,
)
from adapters.transactions import Transaction
from application.errors import ConcurrentUpdate, NotFound, StorageError
from domain.accounts import Account, AccountId, Email, User, UserId
from domain.errors import EmailAlreadyRegistered

P = ParamSpec("P")
R = TypeVar("R")


class SessionRepository:
    def __init__(self, transaction: Transaction[Session]) -> None:
        self._transaction = transaction

    @property
    def _session(self) -> Session:
        # Asked on every call, so a repository kept in a variable still refuses to work in a
        # doomed block or after its transaction ended.
        return self._transaction.usable()

    def _flush(self) -> None:
        try:
            self._session.flush()
        except IntegrityError:
            # A failed write dooms its block, as in PostgreSQL. The caller may name the error
            # better (EmailAlreadyRegistered); the driver's own error is never kept.
            self._transaction.doom(StorageError("IntegrityError"))
            raise


RepositoryT = TypeVar("RepositoryT", bound=SessionRepository)


def translated(
    method: Callable[Concatenate[RepositoryT, P], R],
) -> Callable[Concatenate[RepositoryT, P], R]:
    """Any database error the method did not name itself dooms the block and becomes a
    StorageError, whose message holds no SQL and no value (a password hash, say)."""

    @functools.wraps(method)
    def call(self: RepositoryT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with storage_errors():
                return method(self, *args, **kwargs)
        except StorageError as error:
            raise self._transaction.doom(error) from None

    return call


class SqlAlchemyAccounts(SessionRepository):
    @translated
    def add(self, account: Account) -> None:
        row = account_row(account)
        self._session.add(row)
        self._flush()
        account.version = row.version

    @translated
    def get(self, account_id: AccountId) -> Account:
        return account_entity(self._row(account_id))

    @translated
    def save(self, account: Account) -> None:
        row = self._row(account.id)
        stale = ConcurrentUpdate("account", account.id, account.version)
        if row.version != account.version:
            raise self._transaction.doom(stale)
        row.name = account.name
        try:
            self._flush()
        except StaleDataError as error:
            raise self._transaction.doom(stale) from error
        account.version = row.version

    def _row(self, account_id: AccountId) -> AccountRow:
        row = self._session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account", account_id)
        return row


class SqlAlchemyUsers(SessionRepository):
    @translated
    def add(self, user: User) -> None:
        row = user_row(user)
        self._session.add(row)
        try:
            self._flush()
        except IntegrityError as error:
            if violates_unique(error, "users", "email"):
                raise self._transaction.doom(EmailAlreadyRegistered(user.email)) from None
            raise
        user.version = row.version

    @translated
    def get(self, user_id: UserId) -> User:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise NotFound("user", user_id)
        return user_entity(row)

    @translated
    def get_by_email(self, email: Email) -> User | None:
        row = self._session.scalars(select(UserRow).where(UserRow.email == str(email))).first()
        return None if row is None else user_entity(row)


def violates_unique(error: IntegrityError, table: str, column: str) -> bool:
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # PostgreSQL names the constraint
        return bool(diagnostics.constraint_name == f"uq_{table}_{column}")
    return f"UNIQUE constraint failed: {table}.{column}" in str(error.orig)

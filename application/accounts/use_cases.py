"""The example's use cases: creating an account, registering, renaming, inviting, reading."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from application.accounts.commands import (
    ChangeAccountNameCommand,
    CreateAccountCommand,
    InviteMemberCommand,
)
from application.accounts.ports import AccountsUnitOfWork, FollowUp, PasswordHasher, Registered
from application.kit.errors import ConcurrentUpdate, TransientStorageError
from application.kit.retry import retry_on_conflict
from application.kit.use_case import UseCase
from domain.accounts import Account, AccountId, Invitation, User, UserId
from domain.email import Email

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountCreated:
    account_id: AccountId
    user_id: UserId


class CreateAccount(UseCase[CreateAccountCommand, AccountCreated]):
    """Creates an account and its admin user together, or neither."""

    def __init__(self, uow: AccountsUnitOfWork, password_hasher: PasswordHasher) -> None:
        self._uow = uow
        self._password_hasher = password_hasher

    def execute(self, command: CreateAccountCommand) -> AccountCreated:
        password_hash = self._password_hasher.hash(command.password.get_secret_value())
        account, admin = User.create_with_account(
            Email(command.email), password_hash, command.account_name
        )
        # Joined, not a savepoint: a caller's block fails with it, as it would with its error.
        with self._uow.transaction(savepoint=False):
            self._uow.accounts.add(account)
            self._uow.users.add(admin)
        return AccountCreated(account_id=account.id, user_id=admin.id)


class RegisterAccount(UseCase[CreateAccountCommand, AccountCreated]):
    """Registers a new customer: their account and its admin, in one transaction, then each
    follow-up step in it (the welcome email, where the outbox is installed).

    The account is critical, a follow-up optional: one that fails is undone alone and logged,
    and the customer is registered all the same, unless the database itself failed for a
    moment (TransientStorageError): then nothing is kept, and the request may be retried.
    """

    def __init__(
        self, uow: AccountsUnitOfWork, create_account: CreateAccount, follow_ups: Sequence[FollowUp]
    ) -> None:
        self._uow = uow
        self._create_account = create_account
        self._follow_ups = follow_ups

    def execute(self, command: CreateAccountCommand) -> AccountCreated:
        with self._uow.transaction():
            created = self._create_account.execute(command)
            registered = Registered(created.account_id, created.user_id, Email(command.email))
            for follow_up in self._follow_ups:
                try:
                    with self._uow.transaction():  # a savepoint of its own
                        follow_up.follow_up(registered)
                except TransientStorageError:
                    # The outer block cannot be trusted to commit after a lost connection, say:
                    # the whole request fails, instead of being logged as a missing step.
                    raise
                except Exception:
                    logger.exception(
                        "%s failed for user %s; the registration stands",
                        type(follow_up).__name__,
                        created.user_id,
                    )
        return created


class ChangeAccountName(UseCase[ChangeAccountNameCommand, Account]):
    """Renames an account. With an expected version, refuses to overwrite a change the caller
    has not seen; without one, the last rename wins, retried if another save came between."""

    def __init__(self, uow: AccountsUnitOfWork) -> None:
        self._uow = uow

    def execute(self, command: ChangeAccountNameCommand) -> Account:
        if command.expected_version is not None:
            return self._rename(command)
        return retry_on_conflict(lambda: self._rename(command))

    def _rename(self, command: ChangeAccountNameCommand) -> Account:
        account_id = AccountId(command.account_id)
        with self._uow.transaction():
            account = self._uow.accounts.get(account_id)
            if command.expected_version is not None and command.expected_version != account.version:
                raise ConcurrentUpdate("account", account_id, command.expected_version)
            account.rename(command.name)
            self._uow.accounts.save(account)
        return account


class InviteMember(UseCase[InviteMemberCommand, Invitation]):
    """Invites someone to an account, taking one of its seats; refuses when none is free."""

    def __init__(self, uow: AccountsUnitOfWork) -> None:
        self._uow = uow

    def execute(self, command: InviteMemberCommand) -> Invitation:
        with self._uow.transaction():
            # Read for update: two invitations racing for the last seat take turns, so the
            # second one sees the seat taken.
            account = self._uow.accounts.get_for_update(AccountId(command.account_id))
            invitation = account.invite(Email(command.email))
            self._uow.accounts.save(account)
        return invitation


class GetAccount:
    """Reads one account as it was last committed; raises NotFound."""

    def __init__(self, uow: AccountsUnitOfWork) -> None:
        self._uow = uow

    def execute(self, account_id: AccountId) -> Account:
        with self._uow.transaction():
            return self._uow.accounts.get(account_id)


class GetUser:
    """Reads one user as it was last committed; raises NotFound."""

    def __init__(self, uow: AccountsUnitOfWork) -> None:
        self._uow = uow

    def execute(self, user_id: UserId) -> User:
        with self._uow.transaction():
            return self._uow.users.get(user_id)

"""The example's commands: validated input for its use cases. Bad input never reaches the
domain."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    EmailStr,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from application.accounts.password_policy import normalised_password
from application.kit.use_case import Command
from domain.accounts import InvalidAccountName, account_name
from domain.email import Email, InvalidEmail


def _valid_account_name(name: str) -> str:
    # The rule is the domain's; a command only reports it as a field error.
    try:
        return account_name(name)
    except InvalidAccountName as error:
        raise ValueError(error.reason) from None


def _valid_email(email: str) -> str:
    # email-validator checks the syntax; the domain adds its own limits (RFC 5321's lengths).
    try:
        Email(email)
    except InvalidEmail as error:
        raise ValueError(error.reason) from None
    return email


AccountName = Annotated[str, AfterValidator(_valid_account_name)]
EmailAddress = Annotated[EmailStr, AfterValidator(_valid_email)]


class CreateAccountCommand(Command):
    """The password it holds is NFKC-normalised (password_policy.py)."""

    email: EmailAddress
    password: SecretStr
    password_confirmation: SecretStr
    account_name: AccountName | None = None

    @field_validator("password")
    @classmethod
    def _follows_password_rules(cls, password: SecretStr) -> SecretStr:
        return SecretStr(normalised_password(password.get_secret_value()))

    @field_validator("password_confirmation")
    @classmethod
    def _matches_password(cls, confirmation: SecretStr, info: ValidationInfo) -> SecretStr:
        password = info.data.get("password")
        if password is None:  # refused already: a second error would say nothing new
            return confirmation
        # Compared as the password was kept: typed on another keyboard, it still matches.
        normalised = unicodedata.normalize("NFKC", confirmation.get_secret_value())
        if normalised != password.get_secret_value():
            raise ValueError("does not match the password")
        return SecretStr(normalised)


class ChangeAccountNameCommand(Command):
    account_id: uuid.UUID
    name: AccountName
    expected_version: int | None = None


class InviteMemberCommand(Command):
    account_id: uuid.UUID
    email: EmailAddress

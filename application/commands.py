"""Commands: validated input for the use cases. Bad input never reaches the domain."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from domain.accounts import account_name
from domain.errors import InvalidAccountName

# NIST SP 800-63B: at least 8 characters, allow at least 64; no composition rules.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _valid_account_name(name: str) -> str:
    # The rule is the domain's; a command only reports it as a field error.
    try:
        return account_name(name)
    except InvalidAccountName as error:
        raise ValueError(error.reason) from None


AccountName = Annotated[str, AfterValidator(_valid_account_name)]


class Command(BaseModel):
    # A rejected password must never be echoed back inside a validation error.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, extra="forbid")


class CreateAccountCommand(Command):
    email: EmailStr
    password: SecretStr
    password_confirmation: SecretStr
    account_name: AccountName | None = None

    @field_validator("password")
    @classmethod
    def _follows_password_rules(cls, password: SecretStr) -> SecretStr:
        length = len(password.get_secret_value())
        if not MIN_PASSWORD_LENGTH <= length <= MAX_PASSWORD_LENGTH:
            raise ValueError(
                f"must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, got {length}"
            )
        return password

    @field_validator("password_confirmation")
    @classmethod
    def _matches_password(cls, confirmation: SecretStr, info: ValidationInfo) -> SecretStr:
        password = info.data.get("password")
        if password is not None and password.get_secret_value() != confirmation.get_secret_value():
            raise ValueError("does not match the password")
        return confirmation


class QueueWelcomeEmailCommand(Command):
    user_id: uuid.UUID
    # The address is the user's, validated when they registered: the domain's Email checks
    # its shape again, without a second (costly) deliverability-grade validation.
    email: str


class ChangeAccountNameCommand(Command):
    account_id: uuid.UUID
    name: AccountName
    expected_version: int | None = None


class InviteMemberCommand(Command):
    account_id: uuid.UUID
    email: EmailStr


class RetryNotificationCommand(Command):
    notification_id: uuid.UUID

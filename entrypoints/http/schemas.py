"""The HTTP contract: request and response bodies, kept apart from the domain entities.

Requests carry shapes only; the rules (email syntax, password length, confirmation) live in
the commands, once. The OpenAPI document states them (json_schema_extra: documented, not
enforced twice), so a client or a schema-driven fuzzer knows what a valid body is.
Responses are built field by field, so a new attribute on an entity never
reaches a client by accident, and a password hash never can.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.config import JsonDict

from application.commands import CreateAccountCommand
from application.password_policy import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from domain.accounts import MAX_ACCOUNT_NAME_LENGTH, Account, Invitation, Role, User
from domain.email import MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH

# >>> example
_EMAIL: JsonDict = {"format": "email", "maxLength": MAX_EMAIL_LENGTH}
_PASSWORD: JsonDict = {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}
# <<< example


# >>> example
class RegisterAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    email: str = Field(
        examples=["ada@example.com"],
        description=f"at most {MAX_LOCAL_PART_LENGTH} characters before the @",
        json_schema_extra=_EMAIL,
    )
    password: SecretStr = Field(
        description=(
            f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters in Unicode NFKC form;"
            " none of the most common passwords"
        ),
        examples=["correct horse battery staple"],
        json_schema_extra=_PASSWORD,
    )
    password_confirmation: SecretStr = Field(
        description="the password, once more",
        examples=["correct horse battery staple"],
        json_schema_extra=_PASSWORD,
    )
    account_name: str | None = Field(
        default=None,
        description=(
            "defaults to the email (shortened to fit); surrounding spaces are dropped;"
            " no control or bidirectional formatting characters"
        ),
        json_schema_extra={"minLength": 1, "maxLength": MAX_ACCOUNT_NAME_LENGTH},
    )

    def to_command(self) -> CreateAccountCommand:
        """Raises ValidationError naming the field that breaks a rule."""
        return CreateAccountCommand(
            email=self.email,
            password=self.password,
            password_confirmation=self.password_confirmation,
            account_name=self.account_name,
        )


class InviteMemberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(examples=["grace@example.com"], json_schema_extra=_EMAIL)


class AccountCreatedResponse(BaseModel):
    account_id: uuid.UUID
    user_id: uuid.UUID


class InvitationResponse(BaseModel):
    email: str
    role: Role

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationResponse:
        return cls(email=str(invitation.email), role=invitation.role)


class AccountResponse(BaseModel):
    id: uuid.UUID
    name: str
    seat_limit: int
    invitations: list[InvitationResponse]

    @classmethod
    def of(cls, account: Account) -> AccountResponse:
        return cls(
            id=account.id,
            name=account.name,
            seat_limit=account.seat_limit,
            invitations=[InvitationResponse.of(i) for i in account.invitations],
        )


class UserResponse(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    email: str
    role: Role

    @classmethod
    def of(cls, user: User) -> UserResponse:
        return cls(id=user.id, account_id=user.account_id, email=str(user.email), role=user.role)


# <<< example


class HealthResponse(BaseModel):
    status: Literal["ok", "unavailable"]


class ErrorResponse(BaseModel):
    detail: str

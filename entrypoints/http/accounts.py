"""The example's routes, and their HTTP contract: request and response bodies, kept apart
from the domain entities.

Requests carry shapes only; the rules (email syntax, password length, confirmation) live in
the commands, once. The OpenAPI document states them (json_schema_extra: documented, not
enforced twice), so a client or a schema-driven fuzzer knows what a valid body is.
Responses are built field by field, so a new attribute on an entity never
reaches a client by accident, and a password hash never can.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.config import JsonDict

from application.accounts.commands import CreateAccountCommand, InviteMemberCommand
from application.accounts.password_policy import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from domain.accounts import (
    MAX_ACCOUNT_NAME_LENGTH,
    Account,
    AccountId,
    Invitation,
    Role,
    User,
    UserId,
)
from domain.email import MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH
from entrypoints.http.routes import (
    ERROR,
    RETRY_AFTER,
    STORED,
    WITH_BODY,
    ErrorResponse,
    Wired,
    body_rules,
)

router = APIRouter()

_EMAIL: JsonDict = {"format": "email", "maxLength": MAX_EMAIL_LENGTH}
_PASSWORD: JsonDict = {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}


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


def _within_rate_limit(request: Request, container: Wired) -> None:
    """Counts the request against its client's registration limit; 429 past it."""
    if not container.settings().rate_limit_enabled:
        return
    # The peer's address; behind a proxy, uvicorn's --proxy-headers makes it the client's.
    client = request.client.host if request.client else "unknown"
    wait = container.registration_rate_limiter().seconds_to_wait(client)
    if wait:
        raise HTTPException(429, "too many registrations, retry later", {"Retry-After": str(wait)})


# OpenAPI links: where the ids a registration answers lead, for clients and schema-driven
# tools (a fuzzer reaches the reads only through them).
_REGISTERED_LINKS = {
    "GetAccount": {
        "operationId": "get_account",
        "parameters": {"account_id": "$response.body#/account_id"},
    },
    "GetUser": {"operationId": "get_user", "parameters": {"user_id": "$response.body#/user_id"}},
    "InviteMember": {
        "operationId": "invite_member",
        "parameters": {"account_id": "$response.body#/account_id"},
    },
}


@router.post(
    "/accounts",
    status_code=201,
    operation_id="register_account",
    dependencies=[Depends(_within_rate_limit)],
    responses={
        **WITH_BODY,
        201: {"links": _REGISTERED_LINKS},
        409: ERROR,
        429: {"model": ErrorResponse, "description": "Too many requests", "headers": RETRY_AFTER},
    },
)
def register_account(body: RegisterAccountRequest, container: Wired) -> AccountCreatedResponse:
    """Registers an account and its admin user."""
    with body_rules():
        command = body.to_command()
    created = container.register_account().execute(command)
    return AccountCreatedResponse(account_id=created.account_id, user_id=created.user_id)


@router.post(
    "/accounts/{account_id}/invitations",
    status_code=201,
    operation_id="invite_member",
    responses={**WITH_BODY, 404: ERROR, 409: ERROR},
)
def invite_member(
    account_id: uuid.UUID, body: InviteMemberRequest, container: Wired
) -> InvitationResponse:
    """Invites someone to the account, taking one of its seats; 409 when none is free."""
    with body_rules():
        command = InviteMemberCommand(account_id=account_id, email=body.email)
    invitation = container.invite_member().execute(command)
    return InvitationResponse.of(invitation)


@router.get("/accounts/{account_id}", operation_id="get_account", responses={**STORED, 404: ERROR})
def get_account(account_id: uuid.UUID, container: Wired) -> AccountResponse:
    return AccountResponse.of(container.get_account().execute(AccountId(account_id)))


@router.get("/users/{user_id}", operation_id="get_user", responses={**STORED, 404: ERROR})
def get_user(user_id: uuid.UUID, container: Wired) -> UserResponse:
    return UserResponse.of(container.get_user().execute(UserId(user_id)))

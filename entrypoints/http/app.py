"""The HTTP API: routes that call use cases from the container, and what each error answers.

Routes are plain `def`, so FastAPI runs them in its threadpool. Each use case opens and closes
its own transaction there; the unit of work keeps it in a ContextVar, so one request's
transaction is never seen by another.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from application.commands import InviteMemberCommand
from bootstrap import Container
from domain.accounts import AccountId, UserId
from domain.errors import Conflict, DomainError, InvalidValue, NotFound
from entrypoints.http.schemas import (
    AccountCreatedResponse,
    AccountResponse,
    ErrorResponse,
    HealthResponse,
    InvitationResponse,
    InviteMemberRequest,
    RegisterAccountRequest,
    UserResponse,
)

logger = logging.getLogger(__name__)

router = APIRouter()

# What a domain error answers, by its category: a new error picks a category, not a handler.
STATUS_BY_CATEGORY: dict[type[DomainError], int] = {InvalidValue: 422, NotFound: 404, Conflict: 409}
UNCATEGORISED_STATUS = 400

_ERROR: dict[str, Any] = {"model": ErrorResponse}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _ERROR}


def create_app(container: Container) -> FastAPI:
    """The API over the container's use cases, on whichever backend the container wires."""
    app = FastAPI(
        title="keel",
        summary="Register an account and its admin user; read them back.",
        exception_handlers={
            RequestValidationError: _invalid_request,
            DomainError: _refused,
            Exception: _internal_error,
        },
    )
    app.state.container = container
    app.include_router(router)
    # Every request gets an id: X-Request-ID when it is a well-formed UUID, else a new one.
    # It is echoed in the response and carried by every log line of the request.
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


Wired = Annotated[Container, Depends(_container)]


@router.post("/accounts", status_code=201, responses={409: _ERROR})
def register_account(body: RegisterAccountRequest, container: Wired) -> AccountCreatedResponse:
    """Registers an account and its admin user, and welcomes them by email."""
    with _body_rules():
        command = body.to_command()
    created = container.register_account().execute(command)
    return AccountCreatedResponse(account_id=created.account_id, user_id=created.user_id)


@router.post(
    "/accounts/{account_id}/invitations", status_code=201, responses={404: _ERROR, 409: _ERROR}
)
def invite_member(
    account_id: uuid.UUID, body: InviteMemberRequest, container: Wired
) -> InvitationResponse:
    """Invites someone to the account, taking one of its seats; 409 when none is free."""
    with _body_rules():
        command = InviteMemberCommand(account_id=account_id, email=body.email)
    invitation = container.invite_member().execute(command)
    return InvitationResponse.of(invitation)


@router.get("/accounts/{account_id}", responses=_NOT_FOUND)
def get_account(account_id: uuid.UUID, container: Wired) -> AccountResponse:
    return AccountResponse.of(container.get_account().execute(AccountId(account_id)))


@router.get("/users/{user_id}", responses=_NOT_FOUND)
def get_user(user_id: uuid.UUID, container: Wired) -> UserResponse:
    return UserResponse.of(container.get_user().execute(UserId(user_id)))


@router.get("/health", responses={503: {"model": HealthResponse}})
def health(container: Wired, response: Response) -> HealthResponse:
    """200 when the database answers a read, 503 when it does not."""
    try:
        container.check_health().execute()
    except Exception:
        # A failing health check is an answer, not an error of this request.
        logger.exception("health check failed")
        response.status_code = 503
        return HealthResponse(status="unavailable")
    return HealthResponse(status="ok")


# Error handlers do no I/O, so they run on the event loop, not in the threadpool.
async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    # A malformed id is bad input like any other (422), not an unknown resource (404).
    return _unprocessable(error.errors())


async def _refused(request: Request, error: DomainError) -> JSONResponse:
    return _answer(status_for(error), str(error))


def status_for(error: DomainError) -> int:
    for category, status_code in STATUS_BY_CATEGORY.items():
        if isinstance(error, category):
            return status_code
    return UNCATEGORISED_STATUS


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    # The details may hold internals (SQL, hosts, values): they go to the log, not the client.
    logger.exception("%s %s failed", request.method, request.url.path, exc_info=error)
    return _answer(500, "internal error")


@contextmanager
def _body_rules() -> Iterator[None]:
    """A command's rules are about the request body: name the fields as FastAPI does.
    (Only around building a command: a ValidationError elsewhere is a bug, answered 500.)"""
    try:
        yield
    except ValidationError as error:
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        ) from None


def _unprocessable(problems: Iterable[Mapping[str, Any]]) -> JSONResponse:
    # FastAPI's default body echoes each rejected "input", a password among them: leave it out.
    detail = [
        {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
        for problem in problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _answer(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)

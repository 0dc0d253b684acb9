"""The HTTP API: routes that call use cases from the container (errors.py says what each
error answers).

Routes that do I/O are plain `def`, so FastAPI runs them in its threadpool. Each use case opens
and closes its own transaction there; the unit of work keeps it in a ContextVar, so one
request's transaction is never seen by another. The liveness route is `async def`: it runs on
the event loop and never waits for a thread behind the work it reports on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

import anyio.to_thread
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.commands import InviteMemberCommand
from application.kit.errors import Unavailable
from bootstrap import Container, build_container
from domain.accounts import AccountId, UserId
from domain.errors import DomainError
from entrypoints.http import errors
from entrypoints.http.middleware import AnswerUnexpectedErrors, LimitRequestBody, SecurityHeaders
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
from entrypoints.logs import configure_logging
from settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter()

_ERROR: dict[str, Any] = {"model": ErrorResponse}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_UNAVAILABLE = {"model": ErrorResponse, "description": "Retry later", "headers": _RETRY_AFTER}
# What every route that reads or writes the database may answer besides its own codes.
_STORED: dict[int | str, dict[str, Any]] = {503: _UNAVAILABLE}
# >>> example
_WITH_BODY: dict[int | str, dict[str, Any]] = {
    **_STORED,
    400: {"model": ErrorResponse, "description": "Body is not JSON in UTF-8"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
}
# <<< example


def create_app(container: Container) -> FastAPI:
    """The API over the container's use cases, on whichever backend the container wires."""
    docs = container.settings().http_docs

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The threads that run the `def` routes: anyio's default limiter, one per event loop.
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = container.settings().http_thread_limit
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="keel",
        # >>> example
        summary="Register an account and its admin user; read them back.",
        # <<< example
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        exception_handlers={
            RequestValidationError: errors.invalid_request,
            StarletteHTTPException: errors.http_error,
            DomainError: errors.refused,
            Unavailable: errors.unavailable,
            Exception: errors.internal_error,
        },
    )
    app.state.container = container
    # The routes join the app as they are (no prefix, no shared dependency): a flat list, in
    # which a 405 can find every method of a path (errors.http_error).
    app.router.routes.extend(router.routes)
    # Middleware added later wraps what was added before: headers and request ids reach
    # every answer, a 413 and a 500 too.
    app.add_middleware(AnswerUnexpectedErrors)
    app.add_middleware(LimitRequestBody, max_bytes=container.settings().http_max_body_bytes)
    app.add_middleware(SecurityHeaders)
    # Every request gets an id: X-Request-ID when it is a well-formed UUID, else a new one.
    # It is echoed in the response and carried by every log line of the request.
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    telemetry = container.telemetry()
    if telemetry is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # A span per request, around everything else; without one per ASGI message sent or
        # received, which would say only that a body was written.
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=telemetry.tracer_provider,
            meter_provider=telemetry.meter_provider,
            exclude_spans=["receive", "send"],
        )
    return app


def create_served_app() -> FastAPI:
    """The app `keel serve` runs, built in each worker process: settings from the
    environment, keel's logging, a container of its own."""
    settings = Settings()
    configure_logging(settings.log_format)
    return create_app(build_container(settings))


async def _container(request: Request) -> Container:  # no I/O: no thread needed
    container: Container = request.app.state.container
    return container


Wired = Annotated[Container, Depends(_container)]


# >>> example
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
        **_WITH_BODY,
        201: {"links": _REGISTERED_LINKS},
        409: _ERROR,
        429: {"model": ErrorResponse, "description": "Too many requests", "headers": _RETRY_AFTER},
    },
)
def register_account(body: RegisterAccountRequest, container: Wired) -> AccountCreatedResponse:
    """Registers an account and its admin user."""
    with _body_rules():
        command = body.to_command()
    created = container.register_account().execute(command)
    return AccountCreatedResponse(account_id=created.account_id, user_id=created.user_id)


@router.post(
    "/accounts/{account_id}/invitations",
    status_code=201,
    operation_id="invite_member",
    responses={**_WITH_BODY, 404: _ERROR, 409: _ERROR},
)
def invite_member(
    account_id: uuid.UUID, body: InviteMemberRequest, container: Wired
) -> InvitationResponse:
    """Invites someone to the account, taking one of its seats; 409 when none is free."""
    with _body_rules():
        command = InviteMemberCommand(account_id=account_id, email=body.email)
    invitation = container.invite_member().execute(command)
    return InvitationResponse.of(invitation)


@router.get(
    "/accounts/{account_id}", operation_id="get_account", responses={**_STORED, 404: _ERROR}
)
def get_account(account_id: uuid.UUID, container: Wired) -> AccountResponse:
    return AccountResponse.of(container.get_account().execute(AccountId(account_id)))


@router.get("/users/{user_id}", operation_id="get_user", responses={**_STORED, 404: _ERROR})
def get_user(user_id: uuid.UUID, container: Wired) -> UserResponse:
    return UserResponse.of(container.get_user().execute(UserId(user_id)))


# <<< example


@router.get("/health/live")
@router.head("/health/live")
async def liveness() -> HealthResponse:
    """200 while the process serves requests at all; touches nothing else."""
    return HealthResponse(status="ok")


@router.get("/health", responses={503: {"model": HealthResponse}})
@router.head("/health", responses={503: {"model": HealthResponse}})
def readiness(container: Wired, response: Response) -> HealthResponse:
    """Readiness: 200 when the database answers a read, 503 when it does not."""
    try:
        container.check_health().execute()
    except Exception:
        # A failing health check is an answer, not an error of this request.
        logger.exception("health check failed")
        response.status_code = 503
        return HealthResponse(status="unavailable")
    return HealthResponse(status="ok")


# >>> example
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


# <<< example

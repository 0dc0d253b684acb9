"""The HTTP API: each feature's router, over the use cases of the container (errors.py says
what each error answers).

Routes that do I/O are plain `def`, so FastAPI runs them in its threadpool. Each use case opens
and closes its own transaction there; the unit of work keeps it in a ContextVar, so one
request's transaction is never seen by another. The liveness route is `async def`: it runs on
the event loop and never waits for a thread behind the work it reports on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.kit.errors import Unavailable
from bootstrap import Container, build_container
from domain.errors import DomainError
from entrypoints.http import accounts, errors, health
from entrypoints.http.middleware import AnswerUnexpectedErrors, LimitRequestBody, SecurityHeaders
from entrypoints.logs import configure_logging
from settings import Settings

# Each feature's routes, and the kit's: the app serves them all.
ROUTERS = [
    health.router,
    # >>> example
    accounts.router,
    # <<< example
]


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
    for router in ROUTERS:
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

"""What each error answers over HTTP: one table by category, and bodies that never carry
internals or a submitted value.

Handlers do no I/O, so they run on the event loop, not in the threadpool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from application.kit.errors import Unavailable
from domain.errors import Conflict, DomainError, InvalidValue, NotFound

logger = logging.getLogger(__name__)

# What a domain error answers, by its category: a new error picks a category, not a handler.
STATUS_BY_CATEGORY: dict[type[DomainError], int] = {InvalidValue: 422, NotFound: 404, Conflict: 409}
UNCATEGORISED_STATUS = 400
# A body can break many rules (100,000 unknown keys, say): past these, the rest are counted.
MAX_REPORTED_PROBLEMS = 20
# What a client is told to wait before retrying a request the service could not serve now.
RETRY_AFTER_SECONDS = 1


def status_for(error: DomainError) -> int:
    for category, status_code in STATUS_BY_CATEGORY.items():
        if isinstance(error, category):
            return status_code
    return UNCATEGORISED_STATUS


async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    # A malformed id is bad input like any other (422), not an unknown resource (404).
    return unprocessable(error.errors())


async def refused(request: Request, error: DomainError) -> JSONResponse:
    return answer(status_for(error), str(error))


async def unavailable(request: Request, error: Unavailable) -> JSONResponse:
    # Not a bug, so no traceback; the reason names the real cause (no values: see StorageError).
    logger.warning("%s %s answered 503: %s", request.method, request.url.path, error)
    return answer(503, "unavailable, retry later", retry_after=RETRY_AFTER_SECONDS)


async def http_error(request: Request, error: HTTPException) -> Response:
    """FastAPI's answer, except that a 405 lists every method of the path in Allow: a path
    with a route per method (GET and HEAD, say) would otherwise list only the first route's."""
    if error.status_code == 405:
        allowed = {
            method
            for route in request.app.routes
            if isinstance(route, Route) and route.matches(request.scope)[0] is Match.PARTIAL
            for method in route.methods or ()
        }
        error.headers = {**(error.headers or {}), "Allow": ", ".join(sorted(allowed))}
    return await http_exception_handler(request, error)


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    # The details may hold internals (SQL, hosts, values): they go to the log, not the client.
    logger.exception("%s %s failed", request.method, request.url.path, exc_info=error)
    return answer(500, "internal error")


def unprocessable(problems: Sequence[Mapping[str, Any]]) -> JSONResponse:
    # FastAPI's default body echoes each rejected "input", a password among them: leave it out.
    detail = [
        {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
        for problem in problems[:MAX_REPORTED_PROBLEMS]
    ]
    if len(problems) > MAX_REPORTED_PROBLEMS:
        untold = len(problems) - MAX_REPORTED_PROBLEMS
        detail.append({"loc": [], "msg": f"and {untold} more problems", "type": "too_many_errors"})
    return JSONResponse({"detail": detail}, status_code=422)


def answer(status_code: int, detail: str, retry_after: int | None = None) -> JSONResponse:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)

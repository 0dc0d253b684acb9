"""What every feature's routes use: the container they call, the mapping of a command's rules
to 422 body fields, and the answers they document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from bootstrap import Container


class ErrorResponse(BaseModel):
    detail: str


ERROR: dict[str, Any] = {"model": ErrorResponse}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
UNAVAILABLE = {"model": ErrorResponse, "description": "Retry later", "headers": RETRY_AFTER}
# What every route that reads or writes the database may answer besides its own codes.
STORED: dict[int | str, dict[str, Any]] = {503: UNAVAILABLE}
# And a route that takes a body.
WITH_BODY: dict[int | str, dict[str, Any]] = {
    **STORED,
    400: {"model": ErrorResponse, "description": "Body is not JSON in UTF-8"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
}


async def _container(request: Request) -> Container:  # no I/O: no thread needed
    container: Container = request.app.state.container
    return container


Wired = Annotated[Container, Depends(_container)]


@contextmanager
def body_rules() -> Iterator[None]:
    """A command's rules are about the request body: name the fields as FastAPI does.
    (Only around building a command: a ValidationError elsewhere is a bug, answered 500.)"""
    try:
        yield
    except ValidationError as error:
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        ) from None

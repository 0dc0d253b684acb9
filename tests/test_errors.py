"""Errors map by category, not by class: every domain error a caller can meet is answered
with a 4xx (HTTP) or a refusal exit code (CLI), and its message alone."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import application
import domain
from bootstrap import build_container
from domain.errors import DomainError
from entrypoints.cli import exit_code_for
from entrypoints.cli.program import EXIT_BAD_INPUT, EXIT_REFUSED
from entrypoints.http.app import create_app
from settings import Settings

# Every module of the domain and the application imported, so that every domain error they
# define is a subclass by now.
for package in (domain, application):
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)


def every_domain_error() -> Iterator[type[DomainError]]:
    pending = [DomainError]
    while pending:
        error_class = pending.pop()
        pending.extend(error_class.__subclasses__())
        yield error_class


def an_instance(error_class: type[DomainError]) -> DomainError:
    """The error as a caller would meet it, each argument a plain value."""
    parameters = inspect.signature(error_class.__init__).parameters
    arguments = ["ada@example.com" for name in parameters if name not in ("self", "args")]
    return error_class(*arguments)


ERRORS = sorted(every_domain_error(), key=lambda error_class: error_class.__name__)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    app = create_app(build_container(Settings(database_url="memory://")))

    @app.get("/raise/{name}")
    def raise_error(name: str) -> None:
        raise an_instance(next(e for e in ERRORS if e.__name__ == name))

    return app


@pytest.mark.parametrize("error_class", ERRORS, ids=lambda error_class: error_class.__name__)
def test_every_domain_error_answers_a_4xx_with_its_message_alone(
    app: FastAPI, error_class: type[DomainError]
) -> None:
    with TestClient(app) as client:
        response = client.get(f"/raise/{error_class.__name__}")

    assert 400 <= response.status_code < 500
    assert response.json() == {"detail": str(an_instance(error_class))}


@pytest.mark.parametrize("error_class", ERRORS, ids=lambda error_class: error_class.__name__)
def test_every_domain_error_exits_the_cli_as_refused_or_bad_input(
    error_class: type[DomainError],
) -> None:
    assert exit_code_for(an_instance(error_class)) in (EXIT_REFUSED, EXIT_BAD_INPUT)


def test_the_categories_answer_422_404_and_409(app: FastAPI) -> None:
    with TestClient(app) as client:
        statuses = {
            name: client.get(f"/raise/{name}").status_code
            for name in ("InvalidValue", "NotFound", "Conflict", "ConcurrentUpdate")
        }

    assert statuses == {
        "InvalidValue": 422,
        "NotFound": 404,
        "Conflict": 409,
        "ConcurrentUpdate": 409,
    }

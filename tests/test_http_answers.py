"""What every answer of the API shares, whatever its routes: errors never leak internals, a
body is bounded, a 422 lists at most 20 problems, a 405 names every method of its path, and
each answer carries the security headers and its request id. Test-only routes stand for the
service's own, so these hold with or without the example."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from application.kit.errors import TransientStorageError
from bootstrap import build_container
from entrypoints.http.app import create_app
from settings import Settings

INTERNALS = "connection to db.internal:5432 failed for role service_admin"


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str


def app_with_test_routes(**settings: object) -> FastAPI:
    app = create_app(build_container(Settings(database_url="memory://", **settings)))  # type: ignore[arg-type]

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError(INTERNALS)

    @app.get("/busy")
    def busy() -> None:
        raise TransientStorageError("OperationalError (psycopg.errors.AdminShutdown)")

    @app.post("/notes", status_code=201)
    def note(body: Note) -> Note:
        return body

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = app_with_test_routes(http_max_body_bytes=1024)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_unexpected_error_answers_500_with_a_generic_body_and_logs_the_details(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/broken")

    assert (response.status_code, response.json()) == (500, {"detail": "internal error"})
    assert INTERNALS in caplog.text


def test_an_unexpected_error_answers_with_the_security_headers_and_request_id_too(
    client: TestClient,
) -> None:
    request_id = uuid.uuid4().hex

    response = client.get("/broken", headers={"X-Request-ID": request_id})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == request_id
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_storage_failure_of_the_moment_answers_503_with_retry_after(client: TestClient) -> None:
    response = client.get("/busy")

    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert response.json() == {"detail": "unavailable, retry later"}


def test_a_body_declared_over_the_limit_answers_413(client: TestClient) -> None:
    response = client.post("/notes", json={"text": "x" * 2000})

    assert (response.status_code, response.json()) == (
        413,
        {"detail": "request body over 1024 bytes"},
    )


def test_a_streamed_body_over_the_limit_answers_413_without_a_declared_length(
    client: TestClient,
) -> None:
    chunks = iter([b'{"text": "', b"a" * 1000, b"a" * 1000, b'"}'])

    response = client.post("/notes", content=chunks, headers={"Content-Type": "application/json"})

    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413


def test_a_body_with_many_unknown_fields_lists_20_problems_and_counts_the_rest(
    client: TestClient,
) -> None:
    body = {"text": "hello"} | {f"k{number}": 0 for number in range(60)}

    response = client.post(
        "/notes", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    problems = response.json()["detail"]
    assert (response.status_code, len(problems)) == (422, 21)
    assert problems[-1]["msg"] == "and 40 more problems"


def test_a_method_a_path_does_not_serve_answers_405_listing_every_method_it_does(
    client: TestClient,
) -> None:
    response = client.options("/health")

    assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD")


def test_an_unknown_path_answers_404_with_the_security_headers(client: TestClient) -> None:
    response = client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_with_docs_turned_off_neither_docs_nor_the_openapi_document_are_served() -> None:
    with TestClient(app_with_test_routes(http_docs=False)) as client:
        statuses = [client.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")]

    assert statuses == [404, 404, 404]

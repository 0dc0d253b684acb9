"""The HTTP API, through FastAPI's TestClient, on every backend."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from dependency_injector import providers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bootstrap import Container
from domain.accounts import Account, AccountId, UserId
from entrypoints.cli import main
from entrypoints.http.app import create_app
from tests.support import PASSWORD, Backend

INTERNALS = "connection to db.internal:5432 failed for role keel_admin"


def registration(**overrides: Any) -> dict[str, Any]:
    fields = {"email": "ada@example.com", "password": PASSWORD, "password_confirmation": PASSWORD}
    return fields | overrides


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != field}


class QueryThatBreaks:
    """Fails in a way nobody planned for, with internals in its message."""

    def execute(self, account_id: AccountId) -> Account:
        raise RuntimeError(INTERNALS)


class UnreachableDatabase:
    """A unit of work whose database refuses every connection."""

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        raise ConnectionRefusedError(INTERNALS)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """One app for the module, pointed at each test's container in turn (the routes read
    `app.state.container`): an app of its own cost a test more than the test itself, as
    FastAPI builds its middleware stack on the first request and its OpenAPI schema on the
    first read."""
    return create_app(Container())


@pytest.fixture(scope="module")
def raising_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def answering_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, raising_client: TestClient, backend: Backend) -> TestClient:
    app.state.container = backend.container
    return raising_client


@pytest.fixture
def client_without_raising(
    app: FastAPI, answering_client: TestClient, backend: Backend
) -> TestClient:
    """A client that answers as a server would, instead of raising a route's error."""
    app.state.container = backend.container
    return answering_client


# Each invalid registration, and the field a client must be told about.
INVALID_REGISTRATIONS = {
    "bad email": (registration(email="ada.example.com"), "email"),
    "short password": (registration(password="2short", password_confirmation="2short"), "password"),
    "confirmation mismatch": (
        registration(password_confirmation=f"{PASSWORD}!"),
        "password_confirmation",
    ),
    "missing field": (without(registration(), "email"), "email"),
}


def test_registering_answers_201_with_the_ids_of_the_account_and_its_admin(
    client: TestClient, backend: Backend
) -> None:
    response = client.post("/accounts", json=registration())

    assert response.status_code == 201
    created = response.json()
    with backend.uow.transaction():
        admin = backend.uow.users.get(UserId(uuid.UUID(created["user_id"])))
    assert str(admin.account_id) == created["account_id"]


def test_a_registered_account_reads_back_with_its_name(client: TestClient) -> None:
    created = client.post("/accounts", json=registration(account_name="Engines")).json()

    response = client.get(f"/accounts/{created['account_id']}")

    assert response.status_code == 200
    assert response.json() == {
        "id": created["account_id"],
        "name": "Engines",
        "seat_limit": 5,
        "invitations": [],
    }


def test_an_invitation_answers_201_and_the_account_reads_back_with_it(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration()).json()

    response = client.post(
        f"/accounts/{created['account_id']}/invitations", json={"email": "Grace@Example.com"}
    )

    assert (response.status_code, response.json()) == (
        201,
        {"email": "grace@example.com", "role": "member"},
    )
    account = client.get(f"/accounts/{created['account_id']}").json()
    assert account["invitations"] == [{"email": "grace@example.com", "role": "member"}]


def test_inviting_twice_answers_409_and_inviting_to_an_unknown_account_404(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration()).json()
    invitations = f"/accounts/{created['account_id']}/invitations"
    client.post(invitations, json={"email": "grace@example.com"})

    again = client.post(invitations, json={"email": "grace@example.com"})
    unknown = client.post(f"/accounts/{uuid.uuid4()}/invitations", json={"email": "g@x.io"})

    assert (again.status_code, unknown.status_code) == (409, 404)


def test_an_invitation_of_a_malformed_email_answers_422_naming_the_field(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration()).json()

    response = client.post(
        f"/accounts/{created['account_id']}/invitations", json={"email": "grace"}
    )

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body", "email"]]


def test_a_registered_user_reads_back_as_the_admin_of_the_account_and_nothing_more(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration(email="Ada@Example.com")).json()

    response = client.get(f"/users/{created['user_id']}")

    assert response.status_code == 200
    assert response.json() == {
        "id": created["user_id"],
        "account_id": created["account_id"],
        "email": "ada@example.com",
        "role": "admin",
    }


def test_registering_a_taken_email_answers_409_and_writes_nothing(
    client: TestClient, backend: Backend
) -> None:
    client.post("/accounts", json=registration(email="ada@example.com"))

    response = client.post("/accounts", json=registration(email="ADA@example.com"))

    assert response.status_code == 409
    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)
    assert backend.accounts_without_admin() == 0


def test_a_refused_registration_leaves_the_next_request_unaffected(
    client: TestClient, backend: Backend
) -> None:
    client.post("/accounts", json=registration(email="ada@example.com"))
    client.post("/accounts", json=registration(email="ada@example.com"))

    response = client.post("/accounts", json=registration(email="grace@example.com"))

    assert response.status_code == 201
    assert backend.rows("users") == 2


@pytest.mark.parametrize(
    ("body", "field"), INVALID_REGISTRATIONS.values(), ids=list(INVALID_REGISTRATIONS)
)
def test_invalid_registration_answers_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/accounts", json=body)

    assert response.status_code == 422
    assert ["body", field] in [problem["loc"] for problem in response.json()["detail"]]


@pytest.mark.parametrize(
    "body", [body for body, _ in INVALID_REGISTRATIONS.values()], ids=list(INVALID_REGISTRATIONS)
)
def test_invalid_registration_never_echoes_the_submitted_password(
    client: TestClient, body: dict[str, Any]
) -> None:
    response = client.post("/accounts", json=body)

    assert body["password"] not in response.text
    assert body["password_confirmation"] not in response.text


@pytest.mark.parametrize("path", ["/accounts/{}", "/users/{}"])
def test_an_unknown_id_answers_404(client: TestClient, path: str) -> None:
    response = client.get(path.format(uuid.uuid4()))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "parameter"), [("/accounts/42", "account_id"), ("/users/42", "user_id")]
)
def test_a_malformed_id_is_bad_input_answered_422_naming_the_parameter(
    client: TestClient, path: str, parameter: str
) -> None:
    response = client.get(path)

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["path", parameter]]


def test_no_response_contains_the_password_hash(client: TestClient) -> None:
    created = client.post("/accounts", json=registration()).json()

    responses = [
        client.get(f"/users/{created['user_id']}"),
        client.get(f"/accounts/{created['account_id']}"),
        client.post("/accounts", json=registration()),
    ]

    assert all("$argon2" not in response.text for response in responses)


def test_an_unexpected_error_answers_500_with_a_generic_body(
    client_without_raising: TestClient, backend: Backend
) -> None:
    backend.container.get_account.override(providers.Factory(QueryThatBreaks))

    response = client_without_raising.get(f"/accounts/{uuid.uuid4()}")

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}


def test_an_unexpected_error_is_logged_with_its_details(
    client_without_raising: TestClient, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.container.get_account.override(providers.Factory(QueryThatBreaks))

    client_without_raising.get(f"/accounts/{uuid.uuid4()}")

    assert INTERNALS in caplog.text


def test_health_answers_ok_when_the_database_answers_a_read(client: TestClient) -> None:
    response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_health_answers_503_without_internals_when_the_database_does_not_answer(
    client: TestClient, backend: Backend
) -> None:
    backend.container.unit_of_work.override(providers.Object(UnreachableDatabase()))

    response = client.get("/health")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


def test_the_openapi_document_lists_every_route(client: TestClient) -> None:
    response = client.get("/openapi.json")

    paths = response.json()["paths"]
    assert {(method.upper(), path) for path in paths for method in paths[path]} == {
        ("POST", "/accounts"),
        ("GET", "/accounts/{account_id}"),
        ("POST", "/accounts/{account_id}/invitations"),
        ("GET", "/users/{user_id}"),
        ("GET", "/health"),
    }


def test_keel_serve_on_sqlite_migrates_the_schema_before_it_starts_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "keel.db"
    monkeypatch.setenv("KEEL_DATABASE_URL", f"sqlite:///{database}")
    tables_when_serving: set[str] = set()

    def serve(app: FastAPI, host: str, port: int) -> None:
        with closing(sqlite3.connect(database)) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables_when_serving.update(name for (name,) in rows)

    monkeypatch.setattr(uvicorn, "run", serve)

    exit_code = main(["serve"])

    assert exit_code == 0
    assert {"accounts", "users", "notifications", "alembic_version"} <= tables_when_serving

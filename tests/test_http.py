"""The HTTP API, through FastAPI's TestClient, on every backend."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bootstrap import build_container
from domain.accounts import UserId
from entrypoints.cli import main
from entrypoints.http.app import create_app
from tests.accounts_support import PASSWORD, accounts_without_admin
from tests.support import Backend, backend_for, settings_for


def registration(**overrides: Any) -> dict[str, Any]:
    fields = {"email": "ada@example.com", "password": PASSWORD, "password_confirmation": PASSWORD}
    return fields | overrides


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != field}


def posted(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    """Posts body as JSON with non-ASCII characters escaped, as a client may: a lone surrogate
    is then valid JSON, which the test client's own encoder would refuse to send."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


# An address of the greatest length there is: 64 characters, @, a domain of 189.
LONGEST_EMAIL = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.com"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """One app for the module, pointed at each test's container in turn (the routes read
    `app.state.container`): an app of its own cost a test more than the test itself, as
    FastAPI builds its middleware stack on the first request and its OpenAPI schema on the
    first read."""
    return create_app(build_container(settings_for("memory://")))


@pytest.fixture(scope="module")
def raising_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, raising_client: TestClient, request: pytest.FixtureRequest) -> TestClient:
    """The app on the memory backend: how a route maps input, answers and errors is the same
    on every backend, so it is tested once."""
    app.state.container = backend_for("memory", request).container
    return raising_client


@pytest.fixture
def client_on_each_backend(
    app: FastAPI, raising_client: TestClient, backend: Backend
) -> TestClient:
    """The app on each backend, for what a backend could change: its rows, its constraints
    and its errors reaching HTTP."""
    app.state.container = backend.container
    return raising_client


# Each invalid registration, and the field a client must be told about.
INVALID_REGISTRATIONS = {
    "bad email": (registration(email="ada.example.com"), "email"),
    "short password": (registration(password="2short", password_confirmation="2short"), "password"),
    "confirmation mismatch": (
        registration(password_confirmation=f"{PASSWORD}!"),
        "password_confirmation",
    ),
    "missing field": (without(registration(), "email"), "email"),
    "local part over 64": (registration(email=f"{'a' * 65}@example.com"), "email"),
    "surrogate in email": (registration(email="ada\ud800@example.com"), "email"),
    "surrogate in password": (
        registration(password="abcdefgh\ud800", password_confirmation="abcdefgh\ud800"),
        "password",
    ),
    "common password": (
        registration(password="iloveyou", password_confirmation="iloveyou"),
        "password",
    ),
    "surrogate in name": (registration(account_name="Engines\ud800"), "account_name"),
    "NUL in name": (registration(account_name="Eng\x00ines"), "account_name"),
    "control in name": (registration(account_name="Eng\x1bines"), "account_name"),
    "bidi override in name": (registration(account_name="Eng\u202eines"), "account_name"),
    "name over 100": (registration(account_name="x" * 101), "account_name"),
}


def test_registering_answers_201_with_the_ids_of_the_account_and_its_admin(
    client_on_each_backend: TestClient, backend: Backend
) -> None:
    response = client_on_each_backend.post("/accounts", json=registration())

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
    client_on_each_backend: TestClient, backend: Backend
) -> None:
    client_on_each_backend.post("/accounts", json=registration(email="ada@example.com"))

    response = client_on_each_backend.post("/accounts", json=registration(email="ADA@example.com"))

    assert response.status_code == 409
    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)
    assert accounts_without_admin(backend) == 0


def test_a_refused_registration_leaves_the_next_request_unaffected(
    client_on_each_backend: TestClient, backend: Backend
) -> None:
    client_on_each_backend.post("/accounts", json=registration(email="ada@example.com"))
    client_on_each_backend.post("/accounts", json=registration(email="ada@example.com"))

    response = client_on_each_backend.post(
        "/accounts", json=registration(email="grace@example.com")
    )

    assert response.status_code == 201
    assert backend.rows("users") == 2


@pytest.mark.parametrize(
    ("body", "field"), INVALID_REGISTRATIONS.values(), ids=list(INVALID_REGISTRATIONS)
)
def test_invalid_registration_answers_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = posted(client, "/accounts", body)

    assert response.status_code == 422
    assert ["body", field] in [problem["loc"] for problem in response.json()["detail"]]


@pytest.mark.parametrize(
    "body", [body for body, _ in INVALID_REGISTRATIONS.values()], ids=list(INVALID_REGISTRATIONS)
)
def test_invalid_registration_never_echoes_the_submitted_password(
    client: TestClient, body: dict[str, Any]
) -> None:
    response = posted(client, "/accounts", body)

    assert body["password"] not in response.text
    assert body["password_confirmation"] not in response.text


def test_the_longest_email_registers_with_the_account_named_after_it_shortened_to_fit(
    client_on_each_backend: TestClient,
) -> None:
    created = client_on_each_backend.post(
        "/accounts", json=registration(email=LONGEST_EMAIL)
    ).json()

    account = client_on_each_backend.get(f"/accounts/{created['account_id']}").json()
    user = client_on_each_backend.get(f"/users/{created['user_id']}").json()

    assert (len(account["name"]), account["name"][-1]) == (100, "\u2026")
    assert user["email"] == LONGEST_EMAIL


def test_an_unknown_field_whose_name_is_no_valid_unicode_answers_422(client: TestClient) -> None:
    response = posted(client, "/accounts", registration() | {"\ud800": 1})

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body"]]


@pytest.mark.parametrize("path", ["/accounts/{}", "/users/{}"])
def test_an_unknown_id_answers_404(client_on_each_backend: TestClient, path: str) -> None:
    response = client_on_each_backend.get(path.format(uuid.uuid4()))

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


def test_the_openapi_document_lists_every_route(client: TestClient) -> None:
    response = client.get("/openapi.json")

    paths = response.json()["paths"]
    assert {(method.upper(), path) for path in paths for method in paths[path]} == {
        ("POST", "/accounts"),
        ("GET", "/accounts/{account_id}"),
        ("POST", "/accounts/{account_id}/invitations"),
        ("GET", "/users/{user_id}"),
        ("GET", "/health"),
        ("HEAD", "/health"),
        ("GET", "/health/live"),
        ("HEAD", "/health/live"),
    }


def test_the_openapi_document_links_a_registrations_ids_to_the_operations_that_take_them(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    links = document["paths"]["/accounts"]["post"]["responses"]["201"]["links"]
    operations = {
        operation["operationId"]: operation
        for methods in document["paths"].values()
        for operation in methods.values()
    }
    for link in links.values():
        parameters = {p["name"] for p in operations[link["operationId"]]["parameters"]}
        assert set(link["parameters"]) <= parameters
    assert {link["operationId"] for link in links.values()} == {
        "get_account",
        "get_user",
        "invite_member",
    }


def test_answers_carry_nosniff_and_no_store_personal_data_and_errors_alike(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration()).json()

    responses = [
        client.get(f"/users/{created['user_id']}"),
        client.post("/accounts", json=registration(email="not-an-email")),
        client.get(f"/accounts/{uuid.uuid4()}"),
    ]

    assert [
        (r.headers["X-Content-Type-Options"], r.headers["Cache-Control"]) for r in responses
    ] == [("nosniff", "no-store")] * 3


@pytest.mark.process
def test_keel_serve_on_sqlite_migrates_the_schema_before_it_starts_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "keel.db"
    monkeypatch.setenv("KEEL_DATABASE_URL", f"sqlite:///{database}")
    tables_when_serving: set[str] = set()

    def serve(app: FastAPI, host: str, port: int, **options: object) -> None:
        with closing(sqlite3.connect(database)) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables_when_serving.update(name for (name,) in rows)

    monkeypatch.setattr(uvicorn, "run", serve)

    exit_code = main(["serve"])

    assert exit_code == 0
    assert {"accounts", "users", "alembic_version"} <= tables_when_serving


def test_the_openapi_document_states_the_registration_rules_and_every_answer(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    fields = document["components"]["schemas"]["RegisterAccountRequest"]["properties"]
    registering = document["paths"]["/accounts"]["post"]["responses"]
    assert (fields["email"]["format"], fields["email"]["maxLength"]) == ("email", 254)
    assert (fields["password"]["minLength"], fields["password"]["maxLength"]) == (8, 128)
    assert fields["account_name"]["maxLength"] == 100
    assert set(registering) == {"201", "400", "409", "413", "422", "429", "503"}
    assert "Retry-After" in registering["503"]["headers"]

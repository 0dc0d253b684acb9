"""The example's routes, through FastAPI's TestClient: their mapping on memory, and on every
backend what a backend could change."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.accounts import UserId
from entrypoints.cli import main
from tests.accounts_support import accounts_without_admin, registration_body
from tests.support import Backend

# An address of the greatest length there is: 64 characters, @, a domain of 189.
LONGEST_EMAIL = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.com"


def test_registering_answers_201_with_the_ids_of_the_account_and_its_admin(
    client_on_each_backend: TestClient, backend: Backend
) -> None:
    response = client_on_each_backend.post("/accounts", json=registration_body())

    assert response.status_code == 201
    created = response.json()
    with backend.uow.transaction():
        admin = backend.uow.users.get(UserId(uuid.UUID(created["user_id"])))
    assert str(admin.account_id) == created["account_id"]


def test_a_registered_account_reads_back_with_its_name(client: TestClient) -> None:
    created = client.post("/accounts", json=registration_body(account_name="Engines")).json()

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
    created = client.post("/accounts", json=registration_body()).json()

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
    created = client.post("/accounts", json=registration_body()).json()
    invitations = f"/accounts/{created['account_id']}/invitations"
    client.post(invitations, json={"email": "grace@example.com"})

    again = client.post(invitations, json={"email": "grace@example.com"})
    unknown = client.post(f"/accounts/{uuid.uuid4()}/invitations", json={"email": "g@x.io"})

    assert (again.status_code, unknown.status_code) == (409, 404)


def test_an_invitation_of_a_malformed_email_answers_422_naming_the_field(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration_body()).json()

    response = client.post(
        f"/accounts/{created['account_id']}/invitations", json={"email": "grace"}
    )

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body", "email"]]


def test_a_registered_user_reads_back_as_the_admin_of_the_account_and_nothing_more(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration_body(email="Ada@Example.com")).json()

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
    client_on_each_backend.post("/accounts", json=registration_body(email="ada@example.com"))

    response = client_on_each_backend.post(
        "/accounts", json=registration_body(email="ADA@example.com")
    )

    assert response.status_code == 409
    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)
    assert accounts_without_admin(backend) == 0


def test_a_refused_registration_leaves_the_next_request_unaffected(
    client_on_each_backend: TestClient, backend: Backend
) -> None:
    client_on_each_backend.post("/accounts", json=registration_body(email="ada@example.com"))
    client_on_each_backend.post("/accounts", json=registration_body(email="ada@example.com"))

    response = client_on_each_backend.post(
        "/accounts", json=registration_body(email="grace@example.com")
    )

    assert response.status_code == 201
    assert backend.rows("users") == 2


def test_the_longest_email_registers_with_the_account_named_after_it_shortened_to_fit(
    client_on_each_backend: TestClient,
) -> None:
    created = client_on_each_backend.post(
        "/accounts", json=registration_body(email=LONGEST_EMAIL)
    ).json()

    account = client_on_each_backend.get(f"/accounts/{created['account_id']}").json()
    user = client_on_each_backend.get(f"/users/{created['user_id']}").json()

    assert (len(account["name"]), account["name"][-1]) == (100, "\u2026")
    assert user["email"] == LONGEST_EMAIL


@pytest.mark.parametrize("path", ["/accounts/{}", "/users/{}"])
def test_an_unknown_id_answers_404(client_on_each_backend: TestClient, path: str) -> None:
    response = client_on_each_backend.get(path.format(uuid.uuid4()))

    assert response.status_code == 404


def test_no_response_contains_the_password_hash(client: TestClient) -> None:
    created = client.post("/accounts", json=registration_body()).json()

    responses = [
        client.get(f"/users/{created['user_id']}"),
        client.get(f"/accounts/{created['account_id']}"),
        client.post("/accounts", json=registration_body()),
    ]

    assert all("$argon2" not in response.text for response in responses)


def test_answers_carry_nosniff_and_no_store_personal_data_and_errors_alike(
    client: TestClient,
) -> None:
    created = client.post("/accounts", json=registration_body()).json()

    responses = [
        client.get(f"/users/{created['user_id']}"),
        client.post("/accounts", json=registration_body(email="not-an-email")),
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

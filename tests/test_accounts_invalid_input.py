"""The example's routes refusing bad input: 422 naming the field or parameter, the password
never echoed, on memory (a route maps input the same on every backend)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.accounts_support import PASSWORD, registration_body


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != field}


def posted(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    """Posts body as JSON with non-ASCII characters escaped, as a client may: a lone surrogate
    is then valid JSON, which the test client's own encoder would refuse to send."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


# An address of the greatest length there is: 64 characters, @, a domain of 189.


# Each invalid registration, and the field a client must be told about.
INVALID_REGISTRATIONS = {
    "bad email": (registration_body(email="ada.example.com"), "email"),
    "short password": (
        registration_body(password="2short", password_confirmation="2short"),
        "password",
    ),
    "confirmation mismatch": (
        registration_body(password_confirmation=f"{PASSWORD}!"),
        "password_confirmation",
    ),
    "missing field": (without(registration_body(), "email"), "email"),
    "local part over 64": (registration_body(email=f"{'a' * 65}@example.com"), "email"),
    "surrogate in email": (registration_body(email="ada\ud800@example.com"), "email"),
    "surrogate in password": (
        registration_body(password="abcdefgh\ud800", password_confirmation="abcdefgh\ud800"),
        "password",
    ),
    "common password": (
        registration_body(password="iloveyou", password_confirmation="iloveyou"),
        "password",
    ),
    "surrogate in name": (registration_body(account_name="Engines\ud800"), "account_name"),
    "NUL in name": (registration_body(account_name="Eng\x00ines"), "account_name"),
    "control in name": (registration_body(account_name="Eng\x1bines"), "account_name"),
    "bidi override in name": (registration_body(account_name="Eng\u202eines"), "account_name"),
    "name over 100": (registration_body(account_name="x" * 101), "account_name"),
}


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


def test_an_unknown_field_whose_name_is_no_valid_unicode_answers_422(client: TestClient) -> None:
    response = posted(client, "/accounts", registration_body() | {"\ud800": 1})

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body"]]


@pytest.mark.parametrize(
    ("path", "parameter"), [("/accounts/42", "account_id"), ("/users/42", "user_id")]
)
def test_a_malformed_id_is_bad_input_answered_422_naming_the_parameter(
    client: TestClient, path: str, parameter: str
) -> None:
    response = client.get(path)

    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["path", parameter]]

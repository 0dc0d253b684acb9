"""Bad input never reaches the domain: each command field fails with an error naming it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from application.commands import CreateAccountCommand
from tests.support import PASSWORD, registration


def rejected_fields(**overrides: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        registration(**overrides)
    return [".".join(map(str, error["loc"])) for error in caught.value.errors()]


def test_a_valid_registration_keeps_the_address_and_hides_the_password() -> None:
    command = registration("Ada@Example.com")

    assert command.email == "Ada@example.com"
    assert PASSWORD not in repr(command)


def test_an_invalid_email_is_refused_naming_the_email_field() -> None:
    assert rejected_fields(email="ada.example.com") == ["email"]


@pytest.mark.parametrize("password", ["short12", "x" * 129])
def test_a_password_outside_8_to_128_characters_is_refused(password: str) -> None:
    assert rejected_fields(password=password, password_confirmation=password) == ["password"]


def test_passwords_of_8_and_of_128_characters_are_accepted() -> None:
    for password in ("x" * 8, "x" * 128):
        assert registration(password=password, password_confirmation=password)


def test_a_confirmation_that_does_not_match_is_refused_naming_the_confirmation() -> None:
    assert rejected_fields(password_confirmation="something else") == ["password_confirmation"]


def test_a_missing_field_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        CreateAccountCommand.model_validate({"email": "ada@example.com", "password": PASSWORD})
    assert [error["loc"] for error in caught.value.errors()] == [("password_confirmation",)]


def test_a_rejected_password_never_appears_in_the_error_message() -> None:
    with pytest.raises(ValidationError) as caught:
        registration(password="tiny-pw", password_confirmation="tiny-pw")
    assert "tiny-pw" not in str(caught.value)


@pytest.mark.parametrize("name", ["   ", "x" * 101])
def test_an_account_name_blank_or_over_100_characters_is_refused_naming_it(name: str) -> None:
    assert rejected_fields(account_name=name) == ["account_name"]

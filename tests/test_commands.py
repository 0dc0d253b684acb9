"""Bad input never reaches the domain: each command field fails with an error naming it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from application.accounts.commands import CreateAccountCommand
from tests.accounts_support import PASSWORD, registration
from tests.support import full_width


def rejected_fields(**overrides: str) -> list[str]:
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
    for password in ("k7#pQ2v!", "k7#pQ2v!" * 16):
        assert registration(password=password, password_confirmation=password)


@pytest.mark.parametrize(
    "password", ["PassWord1", "iloveyou", "qwertyuiop", full_width("password")]
)
def test_a_common_password_is_refused_saying_why_without_quoting_it(password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        registration(password=password, password_confirmation=password)

    [error] = caught.value.errors()
    assert (error["loc"], "most common passwords" in error["msg"]) == (("password",), True)
    assert password not in str(caught.value)


def test_a_password_with_a_lone_surrogate_is_refused_naming_the_password_field() -> None:
    password = "abcdefgh\ud800"

    assert rejected_fields(password=password, password_confirmation=password) == ["password"]


def test_a_password_is_kept_in_nfkc_form_so_a_full_width_confirmation_matches() -> None:
    command = registration(
        password=full_width(PASSWORD),
        password_confirmation=PASSWORD,
    )

    assert command.password.get_secret_value() == PASSWORD


def test_an_email_with_more_than_64_characters_before_the_at_is_refused() -> None:
    assert rejected_fields(email=f"{'a' * 65}@example.com") == ["email"]


@pytest.mark.parametrize(
    "name",
    ["a\x00b", "a\x07b", "line\nbreak", "a\u202eb", "a\u2066b", "a\u200fb", "a\ud800b", "a\u2028b"],
    ids=["NUL", "bell", "newline", "RLO", "LRI", "RLM", "surrogate", "line separator"],
)
def test_an_account_name_with_a_control_or_bidi_character_is_refused_naming_the_field(
    name: str,
) -> None:
    assert rejected_fields(account_name=name) == ["account_name"]


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

"""The domain on its own: no database, no framework."""

from __future__ import annotations

import ast
import sys
import uuid
from pathlib import Path

import pytest

from domain.accounts import Account, AccountId, InvalidAccountName, Role, User
from domain.email import Email, InvalidEmail

DOMAIN = Path(__file__).resolve().parent.parent / "domain"


def test_case_variants_of_an_email_are_the_same_address() -> None:
    assert Email("  Ada.Lovelace@Example.COM ") == Email("ada.lovelace@example.com")


@pytest.mark.parametrize(
    "value", ["", "ada", "@example.com", "ada@", "ada@@example.com", "a da@x.io"]
)
def test_a_malformed_email_is_refused_naming_the_value(value: str) -> None:
    with pytest.raises(InvalidEmail, match="not an email address"):
        Email(value)


def test_an_email_with_more_than_64_characters_before_the_at_is_refused() -> None:
    with pytest.raises(InvalidEmail, match="more than 64 characters before @"):
        Email(f"{'a' * 65}@example.com")


def test_an_account_registered_without_a_name_is_named_after_a_long_email_shortened_to_fit() -> (
    None
):
    email = Email(f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.com")

    account, _ = User.create_with_account(email, "h")

    assert len(str(email)) == 254
    assert account.name == f"{str(email)[:99]}\u2026"


def test_creating_a_user_with_an_account_makes_them_its_admin() -> None:
    account, user = User.create_with_account(Email("ada@example.com"), "$argon2id$hash")

    assert user.account_id == account.id
    assert user.role is Role.ADMIN
    assert account.name == "ada@example.com"


def test_an_account_name_is_trimmed_and_must_not_be_blank() -> None:
    account, _ = User.create_with_account(Email("ada@example.com"), "h", account_name=" Engines ")
    assert account.name == "Engines"

    with pytest.raises(InvalidAccountName):
        account.rename("   ")


def test_a_password_hash_never_appears_in_a_users_repr() -> None:
    _, user = User.create_with_account(Email("ada@example.com"), "$argon2id$v=19$secret-hash")

    assert "secret-hash" not in repr(user)


def test_a_new_account_has_no_version_until_a_repository_stores_it() -> None:
    account = Account(id=AccountId(uuid.uuid4()), name="Engines")
    assert account.version == 0


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    imported: set[str] = set()
    for module in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])

    outside = imported - set(sys.stdlib_module_names) - {"domain", "__future__"}
    assert outside == set()

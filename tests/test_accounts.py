"""Registration, on every backend: an account and its admin together or neither, the
password hashed, follow-ups optional, one winner of a race."""

from __future__ import annotations

import threading
import uuid
from typing import assert_type

import pytest

from application.accounts.ports import AccountsUnitOfWork, Registered
from application.accounts.use_cases import GetAccount, InviteMember, RegisterAccount
from application.kit.errors import TransientStorageError
from bootstrap import build_container
from domain.accounts import (
    Account,
    AccountId,
    EmailAlreadyRegistered,
    Role,
)
from domain.email import Email
from tests.accounts_support import accounts_without_admin, registration
from tests.support import Backend, backend_for, full_width, settings_for


def test_registering_creates_an_account_with_its_admin_user(backend: Backend) -> None:
    created = backend.container.register_account().execute(registration("ada@example.com"))

    with backend.uow.transaction():
        user = backend.uow.users.get(created.user_id)
        account = backend.uow.accounts.get(created.account_id)
    assert (user.account_id, user.role, user.email) == (
        account.id,
        Role.ADMIN,
        Email("ada@example.com"),
    )


def test_the_password_is_stored_as_an_argon2id_hash_that_verifies(backend: Backend) -> None:
    created = backend.container.create_account().execute(
        registration(password="s3cret-passphrase", password_confirmation="s3cret-passphrase")
    )

    with backend.uow.transaction():
        stored = backend.uow.users.get(created.user_id).password_hash
    hasher = backend.container.password_hasher()
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "s3cret-passphrase")
    assert not hasher.verify(stored, "another-passphrase")


def test_a_password_is_hashed_in_nfkc_form_so_it_verifies_as_typed_on_another_keyboard(
    backend: Backend,
) -> None:
    typed = full_width("s3cret-passphrase")

    created = backend.container.create_account().execute(
        registration(password=typed, password_confirmation=typed)
    )

    with backend.uow.transaction():
        stored = backend.uow.users.get(created.user_id).password_hash
    assert backend.container.password_hasher().verify(stored, "s3cret-passphrase")


def test_registering_a_taken_email_fails_and_leaves_no_account_without_admin(
    backend: Backend,
) -> None:
    create_account = backend.container.create_account()
    create_account.execute(registration("ada@example.com"))

    with pytest.raises(EmailAlreadyRegistered):
        create_account.execute(registration("ADA@Example.com"))

    assert backend.rows("accounts") == 1
    assert accounts_without_admin(backend) == 0


class FollowUpThatFailsAfterWriting:
    """Writes an account of its own, then fails, with no block of its own around both: an
    optional step gone bad, whose write only RegisterAccount's savepoint can undo."""

    def __init__(self, uow: AccountsUnitOfWork, error: Exception) -> None:
        self._uow = uow
        self._error = error

    def follow_up(self, registered: Registered) -> None:
        self._uow.accounts.add(Account(id=AccountId(uuid.uuid4()), name="a follow-up's"))
        raise self._error


def register_with(backend: Backend, error: Exception) -> RegisterAccount:
    """The container's RegisterAccount, with one follow-up that writes, then raises error."""
    container = backend.container
    follow_up = FollowUpThatFailsAfterWriting(container.unit_of_work(), error)
    return RegisterAccount(container.unit_of_work(), container.create_account(), [follow_up])


def test_a_failed_follow_up_is_undone_alone_and_the_registration_stands(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    register = register_with(backend, RuntimeError("a follow-up's bug"))

    created = register.execute(registration("ada@example.com"))

    with backend.uow.transaction():
        assert backend.uow.users.get(created.user_id).email == Email("ada@example.com")
    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)
    assert "FollowUpThatFailsAfterWriting failed" in caplog.text


def test_a_database_failing_for_a_moment_in_a_follow_up_fails_the_whole_registration(
    backend: Backend,
) -> None:
    register = register_with(backend, TransientStorageError("OperationalError (AdminShutdown)"))

    with pytest.raises(TransientStorageError, match="AdminShutdown"):
        register.execute(registration("ada@example.com"))

    assert (backend.rows("accounts"), backend.rows("users")) == (0, 0)


def test_a_failed_account_step_commits_nothing(backend: Backend) -> None:
    register = backend.container.register_account()
    register.execute(registration("ada@example.com"))

    with pytest.raises(EmailAlreadyRegistered):
        register.execute(registration("ada@example.com"))

    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)


def test_two_concurrent_registrations_of_one_email_let_exactly_one_win(backend: Backend) -> None:
    register = backend.container.register_account()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register_after_barrier() -> None:
        barrier.wait()
        try:
            register.execute(registration("ada@example.com"))
            outcomes.append("registered")
        except EmailAlreadyRegistered:
            outcomes.append("already registered")

    threads = [threading.Thread(target=register_after_barrier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already registered", "registered"]
    assert (backend.rows("accounts"), backend.rows("users")) == (1, 1)


def test_a_reset_backend_keeps_no_account_of_the_test_before(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    backend.container.register_account().execute(registration())

    after = backend_for(backend.name, request)

    assert {table: after.rows(table) for table in ("accounts", "invitations", "users")} == {
        "accounts": 0,
        "invitations": 0,
        "users": 0,
    }


def test_the_container_provides_the_examples_use_cases_as_their_own_types() -> None:
    container = build_container(settings_for("memory://"))

    register = assert_type(container.register_account(), RegisterAccount)
    assert isinstance(register, RegisterAccount)
    assert isinstance(assert_type(container.invite_member(), InviteMember), InviteMember)
    assert isinstance(assert_type(container.get_account(), GetAccount), GetAccount)

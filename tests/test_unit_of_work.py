"""The transaction contract of DESIGN.md, on every backend."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import traceback
import uuid

import pytest

from application.errors import (
    ConcurrentUpdate,
    NestedDurableTransaction,
    NoActiveTransaction,
    NotFound,
    StorageError,
    TransactionDoomed,
    TransactionError,
)
from application.ports import UnitOfWork
from domain.accounts import Account, AccountId, Email, User
from domain.errors import EmailAlreadyRegistered
from tests.conftest import Backend


class Boom(Exception):
    pass


def new_admin(email: str) -> tuple[Account, User]:
    return User.create_with_account(Email(email), password_hash="$argon2id$not-a-real-hash")


def add_admin(uow: UnitOfWork, email: str) -> User:
    account, admin = new_admin(email)
    uow.accounts.add(account)
    uow.users.add(admin)
    return admin


def emails(uow: UnitOfWork, *candidates: str) -> list[str]:
    with uow.transaction():
        return [c for c in candidates if uow.users.get_by_email(Email(c)) is not None]


def test_repositories_outside_a_transaction_raise_instead_of_autocommitting(
    uow: UnitOfWork,
) -> None:
    with pytest.raises(NoActiveTransaction):
        uow.users.get_by_email(Email("ada@example.com"))


def test_a_block_that_raises_rolls_back_and_reraises(uow: UnitOfWork) -> None:
    with pytest.raises(Boom), uow.transaction():
        add_admin(uow, "ada@example.com")
        raise Boom

    assert emails(uow, "ada@example.com") == []


def test_a_failed_nested_block_undoes_only_its_own_writes(uow: UnitOfWork) -> None:
    with uow.transaction():
        add_admin(uow, "outer@example.com")
        with pytest.raises(Boom), uow.transaction():
            add_admin(uow, "inner@example.com")
            raise Boom

    assert emails(uow, "outer@example.com", "inner@example.com") == ["outer@example.com"]


def test_an_outer_failure_undoes_a_released_savepoint_and_drops_its_callbacks(
    uow: UnitOfWork,
) -> None:
    ran: list[str] = []

    with pytest.raises(Boom), uow.transaction():
        with uow.transaction():
            add_admin(uow, "inner@example.com")
            uow.on_commit(lambda: ran.append("inner"))
        raise Boom

    assert emails(uow, "inner@example.com") == []
    assert ran == []


def test_a_released_savepoint_does_not_survive_an_outer_rollback_on_sqlite_either(
    backend: Backend,
) -> None:
    # Python's sqlite3 emits no BEGIN before a SAVEPOINT; without the recipe in
    # adapters/sqlalchemy/database.py the released savepoint would be committed here.
    uow = backend.uow
    with pytest.raises(Boom), uow.transaction():
        with uow.transaction():
            add_admin(uow, "inner@example.com")
        raise Boom

    assert backend.rows("users") == 0
    assert backend.rows("accounts") == 0


def test_a_nested_block_sees_the_outer_writes_and_the_outer_sees_the_released_ones(
    uow: UnitOfWork,
) -> None:
    with uow.transaction():
        outer = add_admin(uow, "outer@example.com")
        with uow.transaction():
            assert uow.users.get(outer.id).email == Email("outer@example.com")
            inner = add_admin(uow, "inner@example.com")
        assert uow.users.get(inner.id).email == Email("inner@example.com")


def test_a_durable_transaction_refuses_to_be_nested(uow: UnitOfWork) -> None:
    with uow.transaction(), pytest.raises(NestedDurableTransaction), uow.transaction(durable=True):
        pass


def test_a_failed_write_dooms_its_block_so_further_use_raises(uow: UnitOfWork) -> None:
    with uow.transaction():
        add_admin(uow, "ada@example.com")

    with pytest.raises(TransactionDoomed), uow.transaction():  # and so does leaving it
        add_admin(uow, "bystander@example.com")
        with pytest.raises(EmailAlreadyRegistered):
            add_admin(uow, "ada@example.com")
        with pytest.raises(TransactionDoomed):
            uow.users.get_by_email(Email("ada@example.com"))

    assert emails(uow, "bystander@example.com") == []


def test_leaving_a_doomed_block_normally_rolls_it_back_with_a_clear_error(uow: UnitOfWork) -> None:
    with uow.transaction():
        add_admin(uow, "ada@example.com")

    with pytest.raises(TransactionDoomed, match="nested"), uow.transaction():
        add_admin(uow, "bystander@example.com")
        with pytest.raises(EmailAlreadyRegistered):
            add_admin(uow, "ada@example.com")

    assert emails(uow, "bystander@example.com") == []


def test_a_failed_write_in_a_nested_block_leaves_the_outer_block_usable(uow: UnitOfWork) -> None:
    with uow.transaction():
        add_admin(uow, "ada@example.com")

    with uow.transaction():
        add_admin(uow, "bystander@example.com")
        with pytest.raises(EmailAlreadyRegistered), uow.transaction():
            add_admin(uow, "ada@example.com")
        add_admin(uow, "after@example.com")

    assert emails(uow, "bystander@example.com", "after@example.com") == [
        "bystander@example.com",
        "after@example.com",
    ]


def test_a_stale_save_dooms_its_block_like_a_failed_insert(uow: UnitOfWork) -> None:
    with uow.transaction():
        account, _ = new_admin("ada@example.com")
        uow.accounts.add(account)
    stale = Account(id=account.id, name="stale", version=account.version - 1)

    with pytest.raises(TransactionDoomed), uow.transaction():  # and so does leaving it
        with pytest.raises(ConcurrentUpdate):
            uow.accounts.save(stale)
        with pytest.raises(TransactionDoomed):
            uow.accounts.get(account.id)


def test_on_commit_callbacks_run_once_in_order_after_the_outermost_commit(
    uow: UnitOfWork,
) -> None:
    ran: list[str] = []

    with uow.transaction():
        uow.on_commit(lambda: ran.append("first"))
        with uow.transaction():
            uow.on_commit(lambda: ran.append("nested"))
        uow.on_commit(lambda: ran.append("last"))
        assert ran == []

    assert ran == ["first", "nested", "last"]


def test_on_commit_callbacks_of_a_failed_savepoint_are_discarded(uow: UnitOfWork) -> None:
    ran: list[str] = []

    with uow.transaction():
        with pytest.raises(Boom), uow.transaction():
            uow.on_commit(lambda: ran.append("discarded"))
            raise Boom
        uow.on_commit(lambda: ran.append("kept"))

    assert ran == ["kept"]


def test_a_failing_callback_is_logged_and_does_not_undo_the_commit(
    uow: UnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def explode() -> None:
        raise Boom("smtp down")

    with caplog.at_level(logging.ERROR), uow.transaction():
        add_admin(uow, "ada@example.com")
        uow.on_commit(explode)
        uow.on_commit(lambda: ran.append("next"))

    assert emails(uow, "ada@example.com") == ["ada@example.com"]
    assert ran == ["next"]
    assert "smtp down" in caplog.text


def test_a_callback_may_open_a_transaction_of_its_own(uow: UnitOfWork) -> None:
    with uow.transaction():
        uow.on_commit(lambda: _register_in_own_transaction(uow, "later@example.com"))

    assert emails(uow, "later@example.com") == ["later@example.com"]


def _register_in_own_transaction(uow: UnitOfWork, email: str) -> None:
    with uow.transaction():
        add_admin(uow, email)


def test_reads_return_copies_so_mutating_one_changes_nothing_until_saved(uow: UnitOfWork) -> None:
    with uow.transaction():
        account, _ = new_admin("ada@example.com")
        uow.accounts.add(account)
        loaded = uow.accounts.get(account.id)
        loaded.rename("Changed in memory only")
        assert uow.accounts.get(account.id).name == "ada@example.com"


def test_uncommitted_writes_are_invisible_to_other_transactions(uow: UnitOfWork) -> None:
    written = threading.Event()
    looked = threading.Event()
    seen_by_other: list[list[str]] = []

    def other_transaction() -> None:
        written.wait()
        seen_by_other.append(emails(uow, "ada@example.com"))
        looked.set()

    other = threading.Thread(target=other_transaction)
    other.start()
    with pytest.raises(Boom), uow.transaction():
        add_admin(uow, "ada@example.com")
        written.set()
        # SQLite serialises transactions (BEGIN IMMEDIATE): there the reader waits for this
        # rollback instead of looking now, so do not wait for it forever.
        looked.wait(timeout=1)
        raise Boom
    other.join()

    assert seen_by_other == [[]]


def test_a_missing_entity_raises_not_found_naming_it(uow: UnitOfWork) -> None:
    missing = AccountId(uuid.uuid4())
    with pytest.raises(NotFound, match=str(missing)), uow.transaction():
        uow.accounts.get(missing)


def test_a_repository_kept_in_a_variable_still_refuses_a_doomed_block(uow: UnitOfWork) -> None:
    with uow.transaction():
        add_admin(uow, "ada@example.com")

    with pytest.raises(TransactionDoomed), uow.transaction():
        users = uow.users
        with pytest.raises(EmailAlreadyRegistered):
            add_admin(uow, "ada@example.com")
        with pytest.raises(TransactionDoomed):
            users.get_by_email(Email("ada@example.com"))


def test_a_repository_kept_after_its_transaction_ended_refuses_to_work(uow: UnitOfWork) -> None:
    with uow.transaction():
        users = uow.users

    with pytest.raises(NoActiveTransaction):
        users.get_by_email(Email("ada@example.com"))


def test_one_block_object_entered_again_inside_itself_becomes_a_savepoint(uow: UnitOfWork) -> None:
    atomic = uow.transaction()  # kept and reused, as a decorator would

    with pytest.raises(Boom), atomic:
        with atomic:
            add_admin(uow, "inner@example.com")
        raise Boom

    assert emails(uow, "inner@example.com") == []


def test_a_thread_started_inside_a_transaction_gets_a_transaction_of_its_own(
    uow: UnitOfWork,
) -> None:
    def register_in_thread() -> None:
        with uow.transaction():
            add_admin(uow, "thread@example.com")

    with pytest.raises(Boom), uow.transaction():
        context = contextvars.copy_context()  # as asyncio.to_thread does
        thread = threading.Thread(target=context.run, args=(register_in_thread,))
        thread.start()
        thread.join()
        raise Boom

    assert emails(uow, "thread@example.com") == ["thread@example.com"]


def test_a_task_created_inside_a_transaction_commits_its_own_after_it_ended(
    uow: UnitOfWork,
) -> None:
    async def register_later() -> None:
        with uow.transaction():
            add_admin(uow, "task@example.com")

    async def scenario() -> None:
        with uow.transaction():
            add_admin(uow, "outer@example.com")
            task = asyncio.get_running_loop().create_task(register_later())
        await task

    asyncio.run(scenario())

    assert emails(uow, "outer@example.com", "task@example.com") == [
        "outer@example.com",
        "task@example.com",
    ]


def test_a_task_awaited_inside_a_transaction_gets_a_transaction_of_its_own(
    backend: Backend,
) -> None:
    if backend.name == "sqlite":
        pytest.skip("SQLite serialises transactions: the task would wait for the one awaiting it")
    uow = backend.uow

    async def register_in_task() -> None:
        with uow.transaction():
            add_admin(uow, "task@example.com")

    async def scenario() -> None:
        with pytest.raises(Boom), uow.transaction():
            add_admin(uow, "outer@example.com")
            await asyncio.get_running_loop().create_task(register_in_task())
            raise Boom

    asyncio.run(scenario())

    assert emails(uow, "outer@example.com", "task@example.com") == ["task@example.com"]


def test_one_block_object_shared_by_two_threads_gives_each_its_own_transaction(
    uow: UnitOfWork,
) -> None:
    atomic = uow.transaction()
    both_inside = threading.Barrier(2, timeout=10)

    def register(email: str, fails: bool) -> None:
        with contextlib.suppress(Boom), atomic:
            both_inside.wait()
            add_admin(uow, email)
            if fails:
                raise Boom

    threads = [
        threading.Thread(target=register, args=("kept@example.com", False)),
        threading.Thread(target=register, args=("undone@example.com", True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert emails(uow, "kept@example.com", "undone@example.com") == ["kept@example.com"]


def test_leaving_an_outer_block_while_a_nested_one_is_open_keeps_nothing(
    uow: UnitOfWork,
) -> None:
    # As when a generator holding a nested block is abandoned, never resumed.
    outer, abandoned = uow.transaction(), uow.transaction()
    outer.__enter__()
    add_admin(uow, "outer@example.com")
    abandoned.__enter__()
    add_admin(uow, "inner@example.com")

    with pytest.raises(TransactionError, match="out of order"):
        outer.__exit__(None, None, None)

    assert emails(uow, "outer@example.com", "inner@example.com") == []


def test_a_failed_write_names_no_stored_value_in_its_error_or_the_log(
    uow: UnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    _, admin = new_admin("ada@example.com")  # its account is never added: a foreign key fails

    # The SQL log at INFO shows each statement with its parameters, unless they are hidden.
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):  # noqa: SIM117
        with pytest.raises(TransactionDoomed) as doomed, uow.transaction():
            with pytest.raises(StorageError):
                uow.users.add(admin)

    everything_said = "".join(traceback.format_exception(doomed.value)) + caplog.text
    assert "IntegrityError" in everything_said
    assert "argon2" not in everything_said

"""The transaction engine's contract, on every backend, with a test-only aggregate (widgets):
these tests stand without the example domain."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.kit.memory import database as memory_database
from adapters.kit.memory.database import InMemoryDatabase, MemoryTransaction
from adapters.kit.sqlalchemy.database import SqlRows
from adapters.kit.storage import Key
from application.kit.errors import (
    ConcurrentUpdate,
    NestedDurableTransaction,
    NoActiveTransaction,
    StorageError,
    TransactionDoomed,
    TransactionError,
)
from domain.errors import NotFound
from tests.kit.widgets import (
    Widget,
    WidgetBackend,
    WidgetNameTaken,
    WidgetUnitOfWork,
    widgets,
)
from tests.support import until_another_waits


class Boom(Exception):
    pass


def add_widget(uow: WidgetUnitOfWork, name: str) -> Widget:
    widget = Widget(name=name)
    uow.widgets.add(widget)
    return widget


def names(uow: WidgetUnitOfWork, *candidates: str) -> list[str]:
    """Which of the candidates name a committed widget."""
    with uow.transaction():
        return [c for c in candidates if uow.widgets.get_by_name(c) is not None]


def test_repositories_outside_a_transaction_raise_instead_of_autocommitting(
    uow: WidgetUnitOfWork,
) -> None:
    with pytest.raises(NoActiveTransaction):
        uow.widgets.get_by_name("ada")


def test_a_block_that_raises_rolls_back_and_reraises(uow: WidgetUnitOfWork) -> None:
    with pytest.raises(Boom), uow.transaction():
        add_widget(uow, "ada")
        raise Boom

    assert names(uow, "ada") == []


def test_a_failed_nested_block_undoes_only_its_own_writes(uow: WidgetUnitOfWork) -> None:
    with uow.transaction():
        add_widget(uow, "outer")
        with pytest.raises(Boom), uow.transaction():
            add_widget(uow, "inner")
            raise Boom

    assert names(uow, "outer", "inner") == ["outer"]


def test_an_outer_failure_undoes_a_released_savepoint_and_drops_its_callbacks(
    uow: WidgetUnitOfWork,
) -> None:
    ran: list[str] = []

    with pytest.raises(Boom), uow.transaction():
        with uow.transaction():
            add_widget(uow, "inner")
            uow.on_commit(lambda: ran.append("inner"))
        raise Boom

    assert names(uow, "inner") == []
    assert ran == []


def test_a_released_savepoint_does_not_survive_an_outer_rollback_on_sqlite_either(
    widget_backend: WidgetBackend,
) -> None:
    # Python's sqlite3 emits no BEGIN before a SAVEPOINT; without the recipe in
    # adapters/kit/sqlalchemy/database.py the released savepoint would be committed here.
    uow = widget_backend.uow
    with pytest.raises(Boom), uow.transaction():
        with uow.transaction():
            add_widget(uow, "inner")
        raise Boom

    assert widget_backend.count() == 0


def test_a_nested_block_sees_the_outer_writes_and_the_outer_sees_the_released_ones(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        outer = add_widget(uow, "outer")
        with uow.transaction():
            assert uow.widgets.get(outer.id).name == "outer"
            inner = add_widget(uow, "inner")
        assert uow.widgets.get(inner.id).name == "inner"


def test_a_failed_nested_block_keeps_what_an_earlier_sibling_block_wrote(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        with uow.transaction():
            add_widget(uow, "sibling")
        with pytest.raises(Boom), uow.transaction():
            add_widget(uow, "failed")
            raise Boom

    assert names(uow, "sibling", "failed") == ["sibling"]


def test_a_block_joined_without_a_savepoint_commits_with_the_enclosing_one(
    uow: WidgetUnitOfWork,
) -> None:
    ran: list[str] = []

    with uow.transaction():
        with uow.transaction(savepoint=False):
            add_widget(uow, "joined")
            uow.on_commit(lambda: ran.append("joined"))
        add_widget(uow, "outer")

    assert names(uow, "joined", "outer") == ["joined", "outer"]
    assert ran == ["joined"]


def test_a_failure_in_a_block_joined_without_a_savepoint_fails_the_enclosing_block(
    uow: WidgetUnitOfWork,
) -> None:
    with pytest.raises(TransactionDoomed), uow.transaction():  # and so does leaving it
        add_widget(uow, "outer")
        with pytest.raises(Boom), uow.transaction(savepoint=False):
            add_widget(uow, "joined")
            raise Boom
        with pytest.raises(TransactionDoomed):
            uow.widgets.get_by_name("outer")

    assert names(uow, "outer", "joined") == []


def test_a_joined_block_that_fails_inside_a_savepoint_undoes_only_that_savepoint(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        add_widget(uow, "outer")
        with pytest.raises(Boom), uow.transaction(), uow.transaction(savepoint=False):
            add_widget(uow, "joined")
            raise Boom

    assert names(uow, "outer", "joined") == ["outer"]


def test_a_durable_transaction_refuses_to_be_nested(uow: WidgetUnitOfWork) -> None:
    with uow.transaction(), pytest.raises(NestedDurableTransaction), uow.transaction(durable=True):
        pass


def test_a_failed_write_dooms_its_block_so_further_use_raises(uow: WidgetUnitOfWork) -> None:
    with uow.transaction():
        add_widget(uow, "ada")

    with pytest.raises(TransactionDoomed), uow.transaction():  # and so does leaving it
        add_widget(uow, "bystander")
        with pytest.raises(WidgetNameTaken):
            add_widget(uow, "ada")
        with pytest.raises(TransactionDoomed):
            uow.widgets.get_by_name("ada")

    assert names(uow, "bystander") == []


def test_leaving_a_doomed_block_normally_rolls_it_back_with_a_clear_error(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        add_widget(uow, "ada")

    with pytest.raises(TransactionDoomed, match="nested"), uow.transaction():
        add_widget(uow, "bystander")
        with pytest.raises(WidgetNameTaken):
            add_widget(uow, "ada")

    assert names(uow, "bystander") == []


def test_a_failed_write_in_a_nested_block_leaves_the_outer_block_usable(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        add_widget(uow, "ada")

    with uow.transaction():
        add_widget(uow, "bystander")
        with pytest.raises(WidgetNameTaken), uow.transaction():
            add_widget(uow, "ada")
        add_widget(uow, "after")

    assert names(uow, "bystander", "after") == [
        "bystander",
        "after",
    ]


def test_a_stale_save_dooms_its_block_like_a_failed_insert(uow: WidgetUnitOfWork) -> None:
    with uow.transaction():
        widget = add_widget(uow, "ada")
    stale = Widget(id=widget.id, name="stale", version=widget.version - 1)

    with pytest.raises(TransactionDoomed), uow.transaction():  # and so does leaving it
        with pytest.raises(ConcurrentUpdate):
            uow.widgets.save(stale)
        with pytest.raises(TransactionDoomed):
            uow.widgets.get(widget.id)


def test_on_commit_callbacks_run_once_in_order_after_the_outermost_commit(
    uow: WidgetUnitOfWork,
) -> None:
    ran: list[str] = []

    with uow.transaction():
        uow.on_commit(lambda: ran.append("first"))
        with uow.transaction():
            uow.on_commit(lambda: ran.append("nested"))
        uow.on_commit(lambda: ran.append("last"))
        assert ran == []

    assert ran == ["first", "nested", "last"]


def test_on_commit_callbacks_of_a_failed_savepoint_are_discarded(uow: WidgetUnitOfWork) -> None:
    ran: list[str] = []

    with uow.transaction():
        with pytest.raises(Boom), uow.transaction():
            uow.on_commit(lambda: ran.append("discarded"))
            raise Boom
        uow.on_commit(lambda: ran.append("kept"))

    assert ran == ["kept"]


def test_a_failing_callback_is_logged_and_does_not_undo_the_commit(
    uow: WidgetUnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def explode() -> None:
        raise Boom("callback broke")

    with caplog.at_level(logging.ERROR), uow.transaction():
        add_widget(uow, "ada")
        uow.on_commit(explode)
        uow.on_commit(lambda: ran.append("next"))

    assert names(uow, "ada") == ["ada"]
    assert ran == ["next"]
    assert "callback broke" in caplog.text


def test_a_callback_may_open_a_transaction_of_its_own(uow: WidgetUnitOfWork) -> None:
    with uow.transaction():
        uow.on_commit(lambda: _register_in_own_transaction(uow, "later"))

    assert names(uow, "later") == ["later"]


def _register_in_own_transaction(uow: WidgetUnitOfWork, email: str) -> None:
    with uow.transaction():
        add_widget(uow, email)


def test_reads_return_copies_so_mutating_one_changes_nothing_until_saved(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        widget = add_widget(uow, "ada")
        loaded = uow.widgets.get(widget.id)
        loaded.name = "changed in memory only"
        assert uow.widgets.get(widget.id).name == "ada"


def test_uncommitted_writes_are_invisible_to_other_transactions(uow: WidgetUnitOfWork) -> None:
    written = threading.Event()
    looked = threading.Event()
    seen_by_other: list[list[str]] = []

    def other_transaction() -> None:
        written.wait()
        seen_by_other.append(names(uow, "ada"))
        looked.set()

    other = threading.Thread(target=other_transaction)
    other.start()
    with pytest.raises(Boom), uow.transaction():
        add_widget(uow, "ada")
        written.set()
        # SQLite serialises transactions (BEGIN IMMEDIATE): there the reader waits for this
        # rollback instead of looking now, so do not wait for it forever.
        looked.wait(timeout=1)
        raise Boom
    other.join()

    assert seen_by_other == [[]]


def test_a_missing_entity_raises_not_found_naming_it(uow: WidgetUnitOfWork) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=str(missing)), uow.transaction():
        uow.widgets.get(missing)


def test_a_repository_kept_in_a_variable_still_refuses_a_doomed_block(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        add_widget(uow, "ada")

    with pytest.raises(TransactionDoomed), uow.transaction():
        widgets = uow.widgets
        with pytest.raises(WidgetNameTaken):
            add_widget(uow, "ada")
        with pytest.raises(TransactionDoomed):
            widgets.get_by_name("ada")


def test_a_repository_kept_after_its_transaction_ended_refuses_to_work(
    uow: WidgetUnitOfWork,
) -> None:
    with uow.transaction():
        widgets = uow.widgets

    with pytest.raises(NoActiveTransaction):
        widgets.get_by_name("ada")


def test_one_block_object_entered_again_inside_itself_becomes_a_savepoint(
    uow: WidgetUnitOfWork,
) -> None:
    atomic = uow.transaction()  # kept and reused, as a decorator would

    with pytest.raises(Boom), atomic:
        with atomic:
            add_widget(uow, "inner")
        raise Boom

    assert names(uow, "inner") == []


def test_a_thread_started_inside_a_transaction_gets_a_transaction_of_its_own(
    uow: WidgetUnitOfWork,
) -> None:
    def register_in_thread() -> None:
        with uow.transaction():
            add_widget(uow, "thread")

    with pytest.raises(Boom), uow.transaction():
        context = contextvars.copy_context()  # as asyncio.to_thread does
        thread = threading.Thread(target=context.run, args=(register_in_thread,))
        thread.start()
        thread.join()
        raise Boom

    assert names(uow, "thread") == ["thread"]


def test_a_task_created_inside_a_transaction_commits_its_own_after_it_ended(
    uow: WidgetUnitOfWork,
) -> None:
    async def register_later() -> None:
        with uow.transaction():
            add_widget(uow, "task")

    async def scenario() -> None:
        with uow.transaction():
            add_widget(uow, "outer")
            task = asyncio.get_running_loop().create_task(register_later())
        await task

    asyncio.run(scenario())

    assert names(uow, "outer", "task") == [
        "outer",
        "task",
    ]


def test_a_task_awaited_inside_a_transaction_gets_a_transaction_of_its_own(
    widget_backend: WidgetBackend,
) -> None:
    if widget_backend.name == "sqlite":
        pytest.skip("SQLite serialises transactions: the task would wait for the one awaiting it")
    uow = widget_backend.uow

    async def register_in_task() -> None:
        with uow.transaction():
            add_widget(uow, "task")

    async def scenario() -> None:
        with pytest.raises(Boom), uow.transaction():
            add_widget(uow, "outer")
            await asyncio.get_running_loop().create_task(register_in_task())
            raise Boom

    asyncio.run(scenario())

    assert names(uow, "outer", "task") == ["task"]


def test_one_block_object_shared_by_two_threads_gives_each_its_own_transaction(
    uow: WidgetUnitOfWork,
) -> None:
    atomic = uow.transaction()
    both_inside = threading.Barrier(2, timeout=10)

    def register(email: str, fails: bool) -> None:
        with contextlib.suppress(Boom), atomic:
            both_inside.wait()
            add_widget(uow, email)
            if fails:
                raise Boom

    threads = [
        threading.Thread(target=register, args=("kept", False)),
        threading.Thread(target=register, args=("undone", True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert names(uow, "kept", "undone") == ["kept"]


def test_leaving_an_outer_block_while_a_nested_one_is_open_keeps_nothing(
    uow: WidgetUnitOfWork,
) -> None:
    # As when a generator holding a nested block is abandoned, never resumed.
    outer, abandoned = uow.transaction(), uow.transaction()
    outer.__enter__()
    add_widget(uow, "outer")
    abandoned.__enter__()
    add_widget(uow, "inner")

    with pytest.raises(TransactionError, match="out of order"):
        outer.__exit__(None, None, None)

    assert names(uow, "outer", "inner") == []


def test_a_failed_write_names_no_stored_value_in_its_error_or_the_log(
    uow: WidgetUnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    # Its parent does not exist: a foreign key fails. The secret must appear nowhere.
    orphan = Widget(name="orphan", secret="$argon2id$v=19$secret", parent_id=uuid.uuid4())

    # The SQL log at INFO shows each statement with its parameters, unless they are hidden.
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):  # noqa: SIM117
        with pytest.raises(TransactionDoomed) as doomed, uow.transaction():
            with pytest.raises(StorageError):
                uow.widgets.add(orphan)

    everything_said = "".join(traceback.format_exception(doomed.value)) + caplog.text
    assert "IntegrityError" in everything_said
    assert "argon2" not in everything_said


def test_a_repository_kept_in_a_variable_refuses_a_thread_that_did_not_begin_the_transaction(
    uow: WidgetUnitOfWork,
) -> None:
    refused: list[str] = []

    with uow.transaction():
        kept = uow.widgets

        def add_from_another_thread() -> None:
            try:
                kept.add(Widget(name="smuggled"))
            except TransactionError as error:
                refused.append(type(error).__name__)

        thread = threading.Thread(target=add_from_another_thread)
        thread.start()
        thread.join()

    assert refused == ["TransactionError"]
    assert names(uow, "smuggled") == []


def test_a_child_written_while_another_transaction_deletes_its_parent_is_refused(
    uow: WidgetUnitOfWork,
) -> None:
    parent = Widget(name="parent")
    with uow.transaction():
        uow.widgets.add(parent)
    deleted, adding = threading.Event(), threading.Event()
    outcome: list[str] = []

    def add_child() -> None:
        deleted.wait(timeout=10)
        try:
            with uow.transaction():
                adding.set()
                uow.widgets.add(Widget(name="child", parent_id=parent.id))
            outcome.append("added")
        except StorageError:
            outcome.append("refused")

    child = threading.Thread(target=add_child)
    child.start()
    with uow.transaction():
        uow.active_transaction().handle.delete(widgets, (parent.id,))
        deleted.set()
        adding.wait(timeout=10)
        until_another_waits(uow)  # it must wait: nothing else holds it off
    child.join()

    assert outcome == ["refused"]
    assert names(uow, "parent", "child") == []


def test_a_memory_commit_is_seen_whole_by_a_reader_arriving_midway_as_sql_makes_it_by_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Memory only: a SQL database applies a commit atomically; the memory store must do it
    # itself. The reader arrives between the commit's rows and its unique index entries.
    uow = WidgetUnitOfWork(InMemoryDatabase().begin)
    widget = Widget(name="ada")
    seen: list[tuple[bool, bool]] = []

    def read() -> None:
        with uow.transaction():
            rows = uow.active_transaction().handle
            by_key = rows.get(widgets, (widget.id,)) is not None
            seen.append((by_key, rows.find(widgets, "name", "ada") != []))

    reader = threading.Thread(target=read)
    merge = memory_database._merge

    def merge_then_let_the_reader_in(committed: dict[Key, Any], writes: dict[Key, Any]) -> None:
        merge(committed, writes)
        if reader.ident is None:  # the first table merged: let the reader in once
            reader.start()
            reader.join(timeout=0.05)  # room to read half a commit, if nothing holds it off

    monkeypatch.setattr(memory_database, "_merge", merge_then_let_the_reader_in)
    with uow.transaction():
        uow.widgets.add(widget)
    reader.join()

    assert seen == [(True, True)]


@pytest.fixture
def savepoints_that_cannot_roll_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every savepoint rollback fails, as on a connection that died; the outer block's own
    rollback still works."""

    def connection_died(handle: object, savepoint: object) -> None:
        raise StorageError("OperationalError (the connection was lost)")

    for handle in (MemoryTransaction, SqlRows):  # whichever backend the uow is on
        monkeypatch.setattr(handle, "rollback_to", connection_died)
    yield
    monkeypatch.undo()


@pytest.mark.usefixtures("savepoints_that_cannot_roll_back")
def test_a_savepoint_that_cannot_be_rolled_back_keeps_nothing_even_if_its_error_is_caught(
    uow: WidgetUnitOfWork,
) -> None:
    with pytest.raises(TransactionDoomed), uow.transaction():
        add_widget(uow, "outer")
        with contextlib.suppress(Boom), uow.transaction():  # an optional step that failed
            add_widget(uow, "inner")
            raise Boom

    assert names(uow, "outer", "inner") == []


@pytest.mark.usefixtures("savepoints_that_cannot_roll_back")
def test_a_savepoint_whose_rollback_fails_on_a_doomed_block_raises_that_storage_error(
    uow: WidgetUnitOfWork,
) -> None:
    outer, inner = uow.transaction(), uow.transaction()
    with pytest.raises(StorageError, match="connection was lost"), outer, inner:
        add_widget(uow, "taken")
        with contextlib.suppress(WidgetNameTaken):
            add_widget(uow, "taken")  # dooms the inner block, which then must roll back

    assert names(uow, "taken") == []

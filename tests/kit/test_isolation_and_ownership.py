"""Isolation and ownership, on every backend: reads return copies, uncommitted writes are
invisible, and a transaction belongs to the thread or task that began it; locks hold off
others as PostgreSQL's do."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from typing import Any

import pytest

from adapters.kit.memory import database as memory_database
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.storage import Key
from application.kit.errors import (
    StorageError,
    TransactionError,
)
from tests.kit.widgets import (
    Widget,
    WidgetBackend,
    WidgetUnitOfWork,
    add_widget,
    names,
    widgets,
)
from tests.support import Boom, until_another_waits


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

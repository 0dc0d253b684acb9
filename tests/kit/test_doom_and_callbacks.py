"""A failed write dooms its block, as PostgreSQL does, on every backend; on_commit callbacks run
once after the outermost commit, and never after a rollback."""

from __future__ import annotations

import logging
import threading
import traceback
import uuid

import pytest

from application.kit.errors import (
    ConcurrentUpdate,
    NoActiveTransaction,
    StorageError,
    TransactionDoomed,
)
from domain.errors import NotFound
from tests.kit.widgets import (
    Widget,
    WidgetNameTaken,
    WidgetUnitOfWork,
    add_widget,
    names,
)
from tests.support import Boom


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

"""Blocks and savepoints, on every backend: each block is all or nothing on its own, a nested
one a savepoint, a joined one fails with its caller, a durable one refuses to nest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.sqlalchemy.database import SqlRows
from application.kit.errors import (
    NestedDurableTransaction,
    NoActiveTransaction,
    StorageError,
    TransactionDoomed,
    TransactionError,
)
from tests.kit.widgets import (
    WidgetBackend,
    WidgetNameTaken,
    WidgetUnitOfWork,
    add_widget,
    names,
)
from tests.support import Boom


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


def test_one_block_object_entered_again_inside_itself_becomes_a_savepoint(
    uow: WidgetUnitOfWork,
) -> None:
    atomic = uow.transaction()  # kept and reused, as a decorator would

    with pytest.raises(Boom), atomic:
        with atomic:
            add_widget(uow, "inner")
        raise Boom

    assert names(uow, "inner") == []


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

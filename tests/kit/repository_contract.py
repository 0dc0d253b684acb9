"""The repository contract: what every repository promises, on memory, SQLite and PostgreSQL.

A feature's tests subclass the parts that apply to each of its repositories, once, and get
their tests on every backend (the `uow` fixture): RepositoryContract for any repository;
ChangeContract when it saves changes; and, for the rules its table declares (rule_contracts.py),
UniqueContract for a unique value, UniqueChangeContract when a change can take one,
ParentContract for a parent it refers to, RequiredContract for a NOT NULL value. E.g.
`class TestBooks(ChangeContract, UniqueContract)` in tests/test_books.py, with its hooks.
Every hook runs inside a transaction.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from application.kit.errors import ConcurrentUpdate, StorageError
from domain.errors import NotFound
from tests.support import until_another_waits


class RepositoryContract:
    """Adds, reads, keys, savepoints and isolation, for any repository."""

    def repository(self, uow: Any) -> Any:
        """The repository under test, on the unit of work."""
        raise NotImplementedError

    def new(self, uow: Any) -> Any:
        """An entity not yet added (its parents are added first)."""
        raise NotImplementedError

    def added(self, uow: Any) -> Any:
        with uow.transaction():
            entity = self.new(uow)
            self.repository(uow).add(entity)
        return entity

    def stored(self, uow: Any, entity: Any) -> Any:
        with uow.transaction():
            return self.repository(uow).get(entity.id)

    def test_an_added_entity_reads_back_equal_with_version_1(self, uow: Any) -> None:
        entity = self.added(uow)

        assert self.stored(uow, entity) == entity
        assert entity.version == 1

    def test_getting_a_key_never_added_raises_not_found(self, uow: Any) -> None:
        with pytest.raises(NotFound), uow.transaction():
            self.repository(uow).get(uuid.uuid4())

    def test_adding_an_entity_under_a_taken_key_is_refused(self, uow: Any) -> None:
        entity = self.added(uow)

        with pytest.raises(StorageError), uow.transaction():
            another = self.new(uow)  # its unique values are its own: only the key is taken
            another.id = entity.id
            self.repository(uow).add(another)

    def test_an_add_in_a_released_savepoint_is_undone_by_the_outer_rollback(self, uow: Any) -> None:
        with pytest.raises(RuntimeError), uow.transaction():
            with uow.transaction():
                entity = self.new(uow)
                self.repository(uow).add(entity)
            raise RuntimeError("undo")

        with pytest.raises(NotFound), uow.transaction():
            self.repository(uow).get(entity.id)

    def test_an_uncommitted_add_is_invisible_to_another_transaction(self, uow: Any) -> None:
        seen_by_other: list[str] = []
        written, looked = threading.Event(), threading.Event()

        def other_transaction() -> None:
            written.wait(timeout=10)
            try:
                self.stored(uow, entity)
                seen_by_other.append("found")
            except NotFound:
                seen_by_other.append("not found")
            looked.set()

        other = threading.Thread(target=other_transaction)
        other.start()
        with pytest.raises(RuntimeError), uow.transaction():
            entity = self.new(uow)
            self.repository(uow).add(entity)
            written.set()
            # SQLite serialises transactions: there the reader waits for this rollback instead.
            looked.wait(timeout=1)
            raise RuntimeError("undo")
        other.join()

        assert seen_by_other == ["not found"]


class ChangeContract(RepositoryContract):
    """Saved changes, children included: versions, stale saves, copies, locks."""

    def change(self, entity: Any) -> None:
        """A change to save, children included."""
        raise NotImplementedError

    def test_a_saved_change_reads_back_with_its_children_and_the_next_version(
        self, uow: Any
    ) -> None:
        entity = self.added(uow)
        for _ in range(2):  # a second change replaces children the first one added
            with uow.transaction():
                loaded = self.repository(uow).get(entity.id)
                self.change(loaded)
                self.repository(uow).save(loaded)

        assert self.stored(uow, entity) == loaded
        assert loaded.version == 3

    def test_saving_an_unchanged_entity_keeps_its_version(self, uow: Any) -> None:
        entity = self.added(uow)

        with uow.transaction():
            self.repository(uow).save(self.repository(uow).get(entity.id))

        assert self.stored(uow, entity).version == 1

    def test_saving_from_a_stale_version_raises_concurrent_update_and_keeps_the_newer_one(
        self, uow: Any
    ) -> None:
        entity = self.added(uow)
        stale, fresh = self.stored(uow, entity), self.stored(uow, entity)
        self.change(fresh)
        with uow.transaction():
            self.repository(uow).save(fresh)

        self.change(stale)
        with pytest.raises(ConcurrentUpdate), uow.transaction():
            self.repository(uow).save(stale)

        assert self.stored(uow, entity) == fresh

    def test_changing_a_read_entity_or_its_children_changes_nothing_until_it_is_saved(
        self, uow: Any
    ) -> None:
        entity = self.added(uow)
        before = self.stored(uow, entity)

        with uow.transaction():
            self.change(self.repository(uow).get(entity.id))
            read_again = self.repository(uow).get(entity.id)

        assert read_again == before
        assert self.stored(uow, entity) == before

    def test_a_change_saved_in_a_rolled_back_savepoint_is_undone_children_included(
        self, uow: Any
    ) -> None:
        entity = self.added(uow)
        before = self.stored(uow, entity)

        with uow.transaction():
            with pytest.raises(RuntimeError), uow.transaction():
                loaded = self.repository(uow).get(entity.id)
                self.change(loaded)
                self.repository(uow).save(loaded)
                raise RuntimeError("undo")
            seen_after_undo = self.repository(uow).get(entity.id)

        assert seen_after_undo == before
        assert self.stored(uow, entity) == before

    def test_a_read_for_update_holds_off_another_one_until_the_first_transaction_ends(
        self, uow: Any
    ) -> None:
        entity = self.added(uow)
        other_started = threading.Event()
        seen_by_other: list[int] = []

        def other_transaction() -> None:
            with uow.transaction():
                other_started.set()
                seen_by_other.append(self.repository(uow).get_for_update(entity.id).version)

        other = threading.Thread(target=other_transaction)
        with uow.transaction():
            locked = self.repository(uow).get_for_update(entity.id)
            other.start()
            other_started.wait()
            until_another_waits(uow)  # it must wait: nothing else holds it off
            self.change(locked)
            self.repository(uow).save(locked)
        other.join()

        assert seen_by_other == [2]

"""The repository contract: what every repository promises, on memory, SQLite and PostgreSQL.

A feature's tests subclass the parts that apply to each of its repositories, once, and get
every test below on every backend (the `uow` fixture): RepositoryContract for any repository;
ChangeContract when it saves changes; UniqueContract for a unique value, UniqueChangeContract
when a change can take one; ParentContract for a parent it refers to; RequiredContract for a
NOT NULL value. E.g. `class TestBooks(ChangeContract, UniqueContract)` in tests/test_books.py,
with its hooks. Every hook runs inside a transaction.
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


class UniqueContract(RepositoryContract):
    """A unique value: taken, it raises the declared error."""

    clash_error: type[Exception] = Exception

    def clash(self, entity: Any) -> Any:
        """Another entity with the unique value of entity."""
        raise NotImplementedError

    def test_adding_a_taken_unique_value_raises_the_declared_error(self, uow: Any) -> None:
        entity = self.added(uow)

        with pytest.raises(self.clash_error), uow.transaction():
            self.repository(uow).add(self.clash(entity))


class UniqueChangeContract(UniqueContract, ChangeContract):
    """A change that takes or gives up a unique value."""

    def take_unique(self, entity: Any, other: Any) -> None:
        """Changes entity to hold the unique value of other."""
        raise NotImplementedError

    def test_saving_a_change_onto_a_taken_unique_value_raises_the_declared_error(
        self, uow: Any
    ) -> None:
        first, second = self.added(uow), self.added(uow)
        with uow.transaction():
            changed = self.repository(uow).get(second.id)
        self.take_unique(changed, first)

        with pytest.raises(self.clash_error), uow.transaction():
            self.repository(uow).save(changed)

    def test_a_unique_value_given_up_is_free_for_others_only_once_that_transaction_commits(
        self, uow: Any
    ) -> None:
        take_unique = self.take_unique
        holder = self.added(uow)
        given_up, other_started = threading.Event(), threading.Event()
        outcome: list[str] = []

        def take_the_value() -> None:
            given_up.wait(timeout=10)
            taker = self.new(uow)
            take_unique(taker, holder)
            other_started.set()
            try:
                with uow.transaction():
                    self.repository(uow).add(taker)
                outcome.append("taken")
            except self.clash_error:
                outcome.append("refused")

        other = threading.Thread(target=take_the_value)
        other.start()
        with uow.transaction():
            loaded = self.repository(uow).get(holder.id)
            self.change(loaded)  # a new value for its unique column: the old one is given up
            self.repository(uow).save(loaded)
            given_up.set()
            other_started.wait(timeout=10)
            until_another_waits(uow)  # it must wait: nothing else holds it off
        other.join()

        assert outcome == ["taken"]


class ParentContract(RepositoryContract):
    """A parent it refers to: a missing one is refused."""

    def orphan(self) -> Any:
        """An entity whose parent does not exist."""
        raise NotImplementedError

    def test_adding_an_entity_whose_parent_is_missing_raises_a_storage_error(
        self, uow: Any
    ) -> None:
        with pytest.raises(StorageError), uow.transaction():
            self.repository(uow).add(self.orphan())


class RequiredContract(RepositoryContract):
    """A NOT NULL value: an entity without it is refused."""

    def without_required(self, entity: Any) -> Any:
        """A copy of entity missing a required value."""
        raise NotImplementedError

    def test_adding_an_entity_without_a_required_value_raises_a_storage_error(
        self, uow: Any
    ) -> None:
        with pytest.raises(StorageError), uow.transaction():
            self.repository(uow).add(self.without_required(self.new(uow)))

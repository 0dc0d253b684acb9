"""The repository contract's parts for the rules a table declares: a unique value, a parent it
refers to, a NOT NULL value. A feature's test class adds those that apply to its table beside
RepositoryContract or ChangeContract (repository_contract.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from application.kit.errors import StorageError
from tests.kit.repository_contract import ChangeContract, RepositoryContract
from tests.support import until_another_waits


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

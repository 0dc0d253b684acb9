"""The repository contract: what every repository promises, on memory, SQLite and PostgreSQL.

Each repository is one entry in CONTRACTS; its tests come from the entry. Adding an aggregate
adds an entry: how to make one, how to change it (children included), and which rules
(unique values, a parent it refers to) can be broken.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from application.kit.errors import ConcurrentUpdate, StorageError
from domain.accounts import Account, AccountId, Role, User, UserId
from domain.email import Email
from domain.errors import EmailAlreadyRegistered, NotFound
from tests.widgets import Part, Widget, WidgetNameTaken, WidgetUnitOfWork


@dataclass(frozen=True)
class Contract:
    """One repository under the contract. Every callable runs inside a transaction."""

    name: str
    repository: Callable[[Any], Any]  # the unit of work -> the repository
    new: Callable[[Any], Any]  # an entity not yet added (its parents are added first)
    change: Callable[[Any], None] | None = None  # a change to save, children included
    clash: Callable[[Any], Any] | None = None  # another entity with a taken unique value
    clash_error: type[Exception] = Exception
    orphan: Callable[[], Any] | None = None  # an entity whose parent does not exist
    take_unique: Callable[[Any, Any], None] | None = None  # changes one to clash with another
    without_required: Callable[[Any], Any] | None = None  # a copy missing a NOT NULL value


# >>> example
def new_account(uow: Any) -> Account:
    return Account(id=AccountId(uuid.uuid4()), name="Engines")


def change_account(account: Account) -> None:
    account.rename(f"Engines {uuid.uuid4().hex[:8]}")
    for invitation in account.invitations[:1]:
        account.withdraw(invitation.email)
    account.invite(Email(f"{uuid.uuid4().hex[:8]}@example.com"))


def new_user(uow: Any) -> User:
    account = new_account(uow)
    uow.accounts.add(account)
    return User(UserId(uuid.uuid4()), account.id, Email(f"{uuid.uuid4().hex[:8]}@ex.com"), "h")


def clashing_user(user: User) -> User:
    shouted = Email(user.email.value.upper())  # the same address, normalised
    return User(UserId(uuid.uuid4()), user.account_id, shouted, "h", Role.MEMBER)


# <<< example


def change_widget(widget: Widget) -> None:
    widget.name = f"renamed {uuid.uuid4().hex[:8]}"
    widget.parts = [Part(p.name, p.quantity + 1) for p in widget.parts[1:]]
    widget.parts.append(Part(f"nut {uuid.uuid4().hex[:8]}"))
    widget.parts.sort(key=lambda part: part.name)  # as they are read back: by their key


# Each new aggregate's contract helpers go above this line (`make aggregate` adds them).


CONTRACTS = [
    # >>> example
    Contract(
        name="accounts",
        repository=lambda uow: uow.accounts,
        new=new_account,
        change=change_account,
    ),
    Contract(
        name="users",
        repository=lambda uow: uow.users,
        new=new_user,
        clash=clashing_user,
        clash_error=EmailAlreadyRegistered,
        orphan=lambda: User(UserId(uuid.uuid4()), AccountId(uuid.uuid4()), Email("o@ex.com"), "h"),
    ),
    # <<< example
    Contract(
        name="widgets",
        repository=lambda uow: uow.widgets,
        new=lambda uow: Widget(name=uuid.uuid4().hex, parts=[Part("bolt", 2), Part("gear")]),
        change=change_widget,
        clash=lambda widget: Widget(name=widget.name),
        clash_error=WidgetNameTaken,
        orphan=lambda: Widget(name="orphan", parent_id=uuid.uuid4()),
        take_unique=lambda widget, other: setattr(widget, "name", other.name),
        without_required=lambda widget: Widget(name=None),  # type: ignore[arg-type]
    ),
    # Each new aggregate's contract goes above this line (`make aggregate` adds it).
]


def contracts(*needs: str) -> pytest.MarkDecorator:
    """Parametrises a test over the contracts that have what it needs."""
    chosen = [c for c in CONTRACTS if all(getattr(c, need) is not None for need in needs)]
    return pytest.mark.parametrize("contract", chosen, ids=[c.name for c in chosen])


def added(uow: WidgetUnitOfWork, contract: Contract) -> Any:
    with uow.transaction():
        entity = contract.new(uow)
        contract.repository(uow).add(entity)
    return entity


def stored(uow: WidgetUnitOfWork, contract: Contract, entity: Any) -> Any:
    with uow.transaction():
        return contract.repository(uow).get(entity.id)


@contracts()
def test_an_added_entity_reads_back_equal_with_version_1(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    entity = added(uow, contract)

    assert stored(uow, contract, entity) == entity
    assert entity.version == 1


@contracts()
def test_getting_a_key_never_added_raises_not_found(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    with pytest.raises(NotFound), uow.transaction():
        contract.repository(uow).get(uuid.uuid4())


@contracts()
def test_adding_an_entity_under_a_taken_key_is_refused(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    entity = added(uow, contract)

    with pytest.raises(StorageError), uow.transaction():
        another = contract.new(uow)  # its unique values are its own: only the key is taken
        another.id = entity.id
        contract.repository(uow).add(another)


@contracts("clash")
def test_adding_a_taken_unique_value_raises_the_declared_error(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.clash is not None
    entity = added(uow, contract)

    with pytest.raises(contract.clash_error), uow.transaction():
        contract.repository(uow).add(contract.clash(entity))


@contracts("orphan")
def test_adding_an_entity_whose_parent_is_missing_raises_a_storage_error(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.orphan is not None
    with pytest.raises(StorageError), uow.transaction():
        contract.repository(uow).add(contract.orphan())


@contracts("change")
def test_a_saved_change_reads_back_with_its_children_and_the_next_version(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.change is not None
    entity = added(uow, contract)
    for _ in range(2):  # a second change replaces children the first one added
        with uow.transaction():
            loaded = contract.repository(uow).get(entity.id)
            contract.change(loaded)
            contract.repository(uow).save(loaded)

    assert stored(uow, contract, entity) == loaded
    assert loaded.version == 3


@contracts("change")
def test_saving_an_unchanged_entity_keeps_its_version(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    entity = added(uow, contract)

    with uow.transaction():
        contract.repository(uow).save(contract.repository(uow).get(entity.id))

    assert stored(uow, contract, entity).version == 1


@contracts("change")
def test_saving_from_a_stale_version_raises_concurrent_update_and_keeps_the_newer_one(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.change is not None
    entity = added(uow, contract)
    stale, fresh = stored(uow, contract, entity), stored(uow, contract, entity)
    contract.change(fresh)
    with uow.transaction():
        contract.repository(uow).save(fresh)

    contract.change(stale)
    with pytest.raises(ConcurrentUpdate), uow.transaction():
        contract.repository(uow).save(stale)

    assert stored(uow, contract, entity) == fresh


@contracts("change")
def test_changing_a_read_entity_or_its_children_changes_nothing_until_it_is_saved(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.change is not None
    entity = added(uow, contract)
    before = stored(uow, contract, entity)

    with uow.transaction():
        contract.change(contract.repository(uow).get(entity.id))
        read_again = contract.repository(uow).get(entity.id)

    assert read_again == before
    assert stored(uow, contract, entity) == before


@contracts("change")
def test_a_change_saved_in_a_rolled_back_savepoint_is_undone_children_included(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.change is not None
    entity = added(uow, contract)
    before = stored(uow, contract, entity)

    with uow.transaction():
        with pytest.raises(RuntimeError), uow.transaction():
            loaded = contract.repository(uow).get(entity.id)
            contract.change(loaded)
            contract.repository(uow).save(loaded)
            raise RuntimeError("undo")
        seen_after_undo = contract.repository(uow).get(entity.id)

    assert seen_after_undo == before
    assert stored(uow, contract, entity) == before


@contracts()
def test_an_add_in_a_released_savepoint_is_undone_by_the_outer_rollback(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    with pytest.raises(RuntimeError), uow.transaction():
        with uow.transaction():
            entity = contract.new(uow)
            contract.repository(uow).add(entity)
        raise RuntimeError("undo")

    with pytest.raises(NotFound), uow.transaction():
        contract.repository(uow).get(entity.id)


@contracts()
def test_an_uncommitted_add_is_invisible_to_another_transaction(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    seen_by_other: list[str] = []
    written, looked = threading.Event(), threading.Event()

    def other_transaction() -> None:
        written.wait(timeout=10)
        try:
            stored(uow, contract, entity)
            seen_by_other.append("found")
        except NotFound:
            seen_by_other.append("not found")
        looked.set()

    other = threading.Thread(target=other_transaction)
    other.start()
    with pytest.raises(RuntimeError), uow.transaction():
        entity = contract.new(uow)
        contract.repository(uow).add(entity)
        written.set()
        # SQLite serialises transactions: there the reader waits for this rollback instead.
        looked.wait(timeout=1)
        raise RuntimeError("undo")
    other.join()

    assert seen_by_other == ["not found"]


@contracts("change")
def test_a_read_for_update_holds_off_another_one_until_the_first_transaction_ends(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.change is not None
    entity = added(uow, contract)
    other_started = threading.Event()
    seen_by_other: list[int] = []

    def other_transaction() -> None:
        with uow.transaction():
            other_started.set()
            seen_by_other.append(contract.repository(uow).get_for_update(entity.id).version)

    other = threading.Thread(target=other_transaction)
    with uow.transaction():
        locked = contract.repository(uow).get_for_update(entity.id)
        other.start()
        other_started.wait()
        time.sleep(0.2)  # room for the other to reach the row, if nothing holds it off
        contract.change(locked)
        contract.repository(uow).save(locked)
    other.join()

    assert seen_by_other == [2]


@contracts("take_unique")
def test_saving_a_change_onto_a_taken_unique_value_raises_the_declared_error(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.take_unique is not None
    first, second = added(uow, contract), added(uow, contract)
    with uow.transaction():
        changed = contract.repository(uow).get(second.id)
    contract.take_unique(changed, first)

    with pytest.raises(contract.clash_error), uow.transaction():
        contract.repository(uow).save(changed)


@contracts("without_required")
def test_adding_an_entity_without_a_required_value_raises_a_storage_error(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    assert contract.without_required is not None
    with pytest.raises(StorageError), uow.transaction():
        contract.repository(uow).add(contract.without_required(contract.new(uow)))


@contracts("take_unique", "change")
def test_a_unique_value_given_up_is_free_for_others_only_once_that_transaction_commits(
    uow: WidgetUnitOfWork, contract: Contract
) -> None:
    take_unique = contract.take_unique
    assert take_unique is not None
    assert contract.change is not None
    holder = added(uow, contract)
    given_up, other_started = threading.Event(), threading.Event()
    outcome: list[str] = []

    def take_the_value() -> None:
        given_up.wait(timeout=10)
        taker = contract.new(uow)
        take_unique(taker, holder)
        other_started.set()
        try:
            with uow.transaction():
                contract.repository(uow).add(taker)
            outcome.append("taken")
        except contract.clash_error:
            outcome.append("refused")

    other = threading.Thread(target=take_the_value)
    other.start()
    with uow.transaction():
        loaded = contract.repository(uow).get(holder.id)
        contract.change(loaded)  # a new value for its unique column: the old one is given up
        contract.repository(uow).save(loaded)
        given_up.set()
        other_started.wait(timeout=10)
        time.sleep(0.1)  # room for the other to reach the value, if nothing holds it off
    other.join()

    assert outcome == ["taken"]

"""Repositories written once for every backend: declare how an aggregate maps to rows, and
add, get, get_for_update and save follow, on SQLAlchemy and in memory alike.

The mapping is explicit and goes both ways through plain dicts: `to_row(entity)` gives the
root table's columns and, under each child table's name, the list of its rows (without the
column that refers to the root); `to_entity(row)` takes the same shape back. Entities are
built afresh from rows on every read, so none shares state with the store or another read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Table

from adapters.kit.storage import Key, Row, RowStore, UniqueViolation, key_of
from application.kit.errors import ConcurrentUpdate
from domain.errors import NotFound

EntityT = TypeVar("EntityT")


@dataclass(frozen=True)
class Children:
    """A child collection: rows of its own table, each referring to the root by one column.

    It is read back ordered by the rest of its table's key: where order matters beyond that,
    store a position column.
    """

    table: Table
    parent_column: str

    def order(self, row: Row) -> Key:
        return tuple(
            row[c.name] for c in self.table.primary_key.columns if c.name != self.parent_column
        )


@dataclass(frozen=True)
class Aggregate(Generic[EntityT]):
    """How one aggregate is stored. The keys, unique columns and foreign keys are the tables';
    here only what the tables cannot say."""

    kind: str  # names the aggregate in NotFound and ConcurrentUpdate
    table: Table
    to_row: Callable[[EntityT], Row]
    to_entity: Callable[[Row], EntityT]
    children: tuple[Children, ...] = ()
    # A unique column (names joined by commas) and the domain error its violation means.
    conflicts: Mapping[str, Callable[[EntityT], Exception]] = field(default_factory=dict)
    # The optimistic lock: a column the repository sets to 1, then bumps on each save.
    version: str | None = "version"


class AggregateRepository(Generic[EntityT]):
    """add, get, get_for_update and save for the aggregate a subclass declares."""

    aggregate: ClassVar[Aggregate[Any]]  # declared by each subclass

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    def add(self, entity: EntityT) -> None:
        root, children = self._split(entity)
        version = self.aggregate.version
        if version is not None:
            root[version] = 1
        self._insert(entity, self.aggregate.table, [root])
        [parent_key] = key_of(self.aggregate.table, root)
        for child, rows in children.items():
            if rows:
                parented = [{**row, child.parent_column: parent_key} for row in rows]
                self._insert(entity, child.table, parented)
        if version is not None:
            setattr(entity, version, 1)

    def get(self, key: Any) -> EntityT:
        return self._load(_as_key(key), for_update=False)

    def get_for_update(self, key: Any) -> EntityT:
        return self._load(_as_key(key), for_update=True)

    def save(self, entity: EntityT) -> None:
        """Writes what changed; nothing when nothing did. Raises ConcurrentUpdate when the
        stored version is not the entity's: someone else saved it since it was read."""
        aggregate, version = self.aggregate, self.aggregate.version
        assert version is not None, f"{aggregate.kind} has no version column: it is never saved"
        root, children = self._split(entity)
        key = key_of(aggregate.table, root)
        read_at = getattr(entity, version)
        stored = self._rows.get(aggregate.table, key)
        if stored is None:
            raise NotFound(aggregate.kind, _shown(key))
        if stored[version] != read_at:
            raise ConcurrentUpdate(aggregate.kind, _shown(key), read_at)
        stored_children = {child: self._child_rows(child, key) for child in aggregate.children}
        if _without(stored, version) == root and stored_children == children:
            return  # like an ORM: an unchanged aggregate costs no write and takes no lock
        try:
            updated = self._rows.update(
                aggregate.table, key, {**root, version: read_at + 1}, {version: read_at}
            )
        except UniqueViolation as violation:
            raise self._conflict(violation, entity) from None
        if not updated:
            raise ConcurrentUpdate(aggregate.kind, _shown(key), read_at)
        for child, rows in children.items():
            self._replace(entity, key, child, stored_children[child], rows)
        setattr(entity, version, read_at + 1)

    def _find_one(self, column: str, value: object) -> EntityT | None:
        rows = self._rows.find(self.aggregate.table, column, value)
        return self._entity(rows[0]) if rows else None

    def _find_all(self, column: str, value: object) -> list[EntityT]:
        return [self._entity(row) for row in self._rows.find(self.aggregate.table, column, value)]

    def _load(self, key: Key, for_update: bool) -> EntityT:
        row = self._rows.get(self.aggregate.table, key, for_update=for_update)
        if row is None:
            raise NotFound(self.aggregate.kind, _shown(key))
        return self._entity(row)

    def _entity(self, row: Row) -> EntityT:
        key = key_of(self.aggregate.table, row)
        children = {c.table.name: self._child_rows(c, key) for c in self.aggregate.children}
        entity: EntityT = self.aggregate.to_entity(row | children)
        return entity

    def _child_rows(self, child: Children, key: Key) -> list[Row]:
        [parent_key] = key
        rows = self._rows.find(child.table, child.parent_column, parent_key)
        return sorted((_without(row, child.parent_column) for row in rows), key=child.order)

    def _split(self, entity: EntityT) -> tuple[Row, dict[Children, list[Row]]]:
        row = self.aggregate.to_row(entity)
        children = {c: sorted(row.pop(c.table.name), key=c.order) for c in self.aggregate.children}
        return row, children

    def _replace(
        self, entity: EntityT, parent: Key, child: Children, old: list[Row], new: list[Row]
    ) -> None:
        """Brings the child table from the old rows to the new: deletes, updates, inserts."""
        [parent_key] = parent
        stored = {key_of(child.table, {**row, child.parent_column: parent_key}): row for row in old}
        wanted = {key_of(child.table, {**row, child.parent_column: parent_key}): row for row in new}
        for key in stored.keys() - wanted.keys():
            self._rows.delete(child.table, key)
        for key, row in wanted.items():
            if key not in stored:
                self._insert(entity, child.table, [{**row, child.parent_column: parent_key}])
            elif stored[key] != row:
                self._rows.update(child.table, key, row, {})

    def _insert(self, entity: EntityT, table: Table, rows: list[Row]) -> None:
        try:
            self._rows.insert(table, rows)
        except UniqueViolation as violation:
            raise self._conflict(violation, entity) from None

    def _conflict(self, violation: UniqueViolation, entity: EntityT) -> Exception:
        """The domain error the declaration gives the violated unique column, if any."""
        conflict = self.aggregate.conflicts.get(",".join(violation.columns))
        if conflict is None or violation.table != self.aggregate.table.name:
            return violation
        return conflict(entity)


def _as_key(key: Any) -> Key:
    return key if isinstance(key, tuple) else (key,)


def _shown(key: Key) -> object:
    return key[0] if len(key) == 1 else key


def _without(row: Row, column: str) -> Row:
    return {name: value for name, value in row.items() if name != column}

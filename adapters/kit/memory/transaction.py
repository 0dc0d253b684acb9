"""The rows one transaction of the in-memory database sees: its own writes kept apart from the
committed rows until it commits, the locks it holds, and the undo log its savepoints mark."""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table

from adapters.kit.memory.constraints import Columns, Constraints, constraints
from adapters.kit.storage import ForeignKeyViolation, Key, Row, UniqueViolation
from application.kit.errors import StorageError

if TYPE_CHECKING:
    from adapters.kit.memory.database import InMemoryDatabase

_MISSING: Any = object()


class MemoryTransaction:
    """The rows one transaction sees, with the operations of adapters.kit.storage.RowStore."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database
        # None marks a row (or an index entry) this transaction deleted.
        self.writes: dict[str, dict[Key, Row | None]] = defaultdict(dict)
        self.index_writes: dict[tuple[str, Columns], dict[Key, Key | None]] = defaultdict(dict)
        self._locks: set[Hashable] = set()
        self._undo_log: list[Callable[[], object]] = []

    @property
    def database(self) -> InMemoryDatabase:
        """The database this transaction reads and writes."""
        return self._database

    def insert(self, table: Table, rows: list[Row]) -> None:
        declared = constraints(table)
        for row in rows:
            if None in map(row.get, declared.required):
                raise StorageError("IntegrityError")  # as SQL's NOT NULL: no value is named
            key = _values(row, declared.key)
            self.lock((table.name, key))
            if self._visible(table.name, key) is not None:
                raise UniqueViolation(table.name, declared.key)
            for columns in declared.unique:
                self._claim_unique(table.name, columns, _values(row, columns), key)
            self._check_references(table, declared, row)
            self._write(table.name, key, _copied(row, declared.documents))

    def get(self, table: Table, key: Key, for_update: bool = False) -> Row | None:
        if for_update:
            self.lock((table.name, key))
        row = self._visible(table.name, key)
        return None if row is None else _copied(row, constraints(table).documents)

    def find(self, table: Table, column: str, value: object) -> list[Row]:
        if (column,) in constraints(table).unique:
            key = self._holder(table.name, (column,), (value,))
            row = None if key is None else self._visible(table.name, key)
            # A commit may land between the two reads: the row must still hold the value.
            if row is None or row[column] != value:
                return []
            return [_copied(row, constraints(table).documents)]
        return self.scan(table, lambda row: row[column] == value)

    def ping(self) -> None:
        """The memory answers as long as the process runs."""

    def scan(self, table: Table, matches: Callable[[Row], bool]) -> list[Row]:
        """The visible rows that match: a full scan, as a query with no index would be."""
        visible: dict[Key, Row | None] = {**self._database._committed_rows(table.name)}
        visible.update(self.writes[table.name])
        documents = constraints(table).documents
        return [
            _copied(row, documents) for row in visible.values() if row is not None and matches(row)
        ]

    def update(self, table: Table, key: Key, values: Row, expected: Mapping[str, object]) -> bool:
        self.lock((table.name, key))  # as UPDATE locks the row, then reads it again
        row = self._visible(table.name, key)
        if row is None or any(row[column] != value for column, value in expected.items()):
            return False
        declared = constraints(table)
        changed = {**row, **values}
        for columns in declared.unique:
            before, after = _values(row, columns), _values(changed, columns)
            if before != after:
                self._claim_unique(table.name, columns, after, key)
                self._give_up_unique(table.name, columns, before)
        self._check_references(table, declared, changed)
        self._write(table.name, key, _copied(changed, declared.documents))
        return True

    def delete(self, table: Table, key: Key) -> None:
        self.lock((table.name, key))
        row = self._visible(table.name, key)
        if row is None:
            return
        for other, columns in constraints(table).referenced_by:
            if self.scan(other, functools.partial(_refers_to, columns=columns, key=key)):
                raise ForeignKeyViolation(other.name)
        for columns in constraints(table).unique:
            self._give_up_unique(table.name, columns, _values(row, columns))
        self._write(table.name, key, None)

    def lock(self, resource: Hashable) -> None:
        """Holds resource until this transaction ends, or the savepoint that took it rolls back."""
        if resource in self._locks:
            return
        self._database._acquire(self, resource)
        self._locks.add(resource)
        self._undo_log.append(lambda: self._release({resource}))

    def savepoint(self) -> int:
        return len(self._undo_log)

    def rollback_to(self, savepoint: int) -> None:
        while len(self._undo_log) > savepoint:
            self._undo_log.pop()()

    def commit(self) -> None:
        self._database._apply(self)
        self._end()

    def rollback(self) -> None:
        self._end()

    def _visible(self, table: str, key: Key) -> Row | None:
        row = self.writes[table].get(key, _MISSING)
        return self._database._committed_row(table, key) if row is _MISSING else row

    def _holder(self, table: str, columns: Columns, values: Key) -> Key | None:
        entries = self.index_writes[(table, columns)]
        if values in entries:
            return entries[values]
        return self._database._committed_holder(table, columns, values)

    def _claim_unique(self, table: str, columns: Columns, values: Key, key: Key) -> None:
        if None in values:
            return  # as in SQL, NULLs are never equal to each other
        # Waits for a concurrent transaction writing the same value, as a unique index does.
        self.lock((table, columns, values))
        if self._holder(table, columns, values) not in (None, key):
            raise UniqueViolation(table, columns)
        self._set(self.index_writes[(table, columns)], values, key)

    def _give_up_unique(self, table: str, columns: Columns, values: Key) -> None:
        # Locked until this transaction ends, as a unique index keeps the old entry: another
        # transaction taking the value waits to see whether this one commits.
        self.lock((table, columns, values))
        self._set(self.index_writes[(table, columns)], values, None)

    def _check_references(self, table: Table, declared: Constraints, row: Row) -> None:
        for columns, referred in declared.references:
            values = _values(row, columns)
            if None in values or (referred is table and values == _values(row, declared.key)):
                continue  # no reference, or one to the row itself
            # The parent is locked, as PostgreSQL's FOR KEY SHARE does, so that no concurrent
            # transaction deletes it before this one commits (this lock is exclusive: children
            # of one parent are written one transaction at a time).
            self.lock((referred.name, values))
            if self._visible(referred.name, values) is None:
                raise ForeignKeyViolation(table.name)

    def _write(self, table: str, key: Key, row: Row | None) -> None:
        self._set(self.writes[table], key, row)

    def _set(self, entries: dict[Key, Any], key: Key, value: Any) -> None:
        previous = entries.get(key, _MISSING)
        entries[key] = value
        self._undo_log.append(lambda: _restore(entries, key, previous))

    def _end(self) -> None:
        self._release(set(self._locks))
        # Undo entries refer back to this transaction; dropped, the cycle goes with them, so
        # reference counting frees the transaction now instead of the garbage collector later.
        self._undo_log.clear()

    def _release(self, resources: set[Hashable]) -> None:
        self._locks -= resources
        self._database._release(resources)


def _values(row: Row, columns: Columns) -> Key:
    return tuple(map(row.__getitem__, columns))


def _refers_to(row: Row, columns: Columns, key: Key) -> bool:
    return _values(row, columns) == key


def _copied(row: Row, documents: Columns) -> Row:
    # Column values are immutable but for JSON documents: those are copied too.
    copied = dict(row)
    for name in documents:
        copied[name] = copy.deepcopy(copied[name])
    return copied


def _restore(entries: dict[Key, Any], key: Key, previous: Any) -> None:
    if previous is _MISSING:
        del entries[key]
    else:
        entries[key] = previous

"""An in-memory database that behaves like PostgreSQL at read committed, as seen by a use case.

It holds rows of the tables in adapters/tables.py and enforces what those tables declare:
primary keys, unique columns and foreign keys, failing with the same errors as SQL. Committed
rows live in the database; each transaction keeps its own writes apart until it commits, so
they are invisible to other transactions. Writers lock what they write (a row, a unique
value), so a concurrent duplicate waits for the first writer and then fails, as an INSERT does
in PostgreSQL. Savepoints are positions in an undo log, so beginning a transaction or a
savepoint costs the same however much data the database holds. Rows are copied on the way in
and out: nothing a caller holds is shared with the store or with another transaction.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from sqlalchemy import Table

from adapters.kit.memory.constraints import Columns, Constraints, constraints
from adapters.kit.storage import ForeignKeyViolation, Key, Row, UniqueViolation
from application.kit.errors import StorageError, TransientStorageError

_MISSING: Any = object()


class LockTimeout(TransientStorageError):
    """As a lock or statement timeout of SQL: the other transaction may be gone on a retry.
    The resource is not named: it may be a value, an email say."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"LockTimeout (waited {seconds}s for another transaction's lock)")


class InMemoryDatabase:
    def __init__(self, lock_timeout: float = 10.0) -> None:
        self.lock_timeout = lock_timeout
        # Held briefly by every read of committed rows, every lock taken or released and every
        # commit; waited on, through the condition, by a transaction that wants a lock another
        # one holds.
        self._mutex = threading.Lock()
        self._condition = threading.Condition(self._mutex)
        self._rows: dict[str, dict[Key, Row]] = defaultdict(dict)
        self._indexes: dict[tuple[str, Columns], dict[Key, Key]] = defaultdict(dict)
        self._lock_owners: dict[Hashable, MemoryTransaction] = {}
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many transactions wait for a lock another one holds, as PostgreSQL's
        pg_stat_activity tells: what a test watches instead of sleeping."""
        with self._mutex:
            return self._waiting

    def begin(self) -> MemoryTransaction:
        return MemoryTransaction(self)

    def committed(self, table: str) -> list[Row]:
        """Copies of the committed rows of a table, for inspection by tests and tools."""
        with self._mutex:
            return [copy.deepcopy(row) for row in self._rows[table].values()]

    # Reads take the mutex too, so that a commit is seen whole or not at all: without it, a
    # read could land between the rows and the index entries of one commit.
    def _committed_row(self, table: str, key: Key) -> Row | None:
        with self._mutex:
            return self._rows[table].get(key)

    def _committed_rows(self, table: str) -> dict[Key, Row]:
        with self._mutex:
            return dict(self._rows[table])

    def _committed_holder(self, table: str, columns: Columns, values: Key) -> Key | None:
        with self._mutex:
            return self._indexes[(table, columns)].get(values)

    def _acquire(self, owner: MemoryTransaction, resource: Hashable) -> None:
        """Waits until no other transaction holds resource, then gives it to owner."""
        with self._mutex:
            if resource in self._lock_owners:
                self._waiting += 1
                try:
                    free = self._condition.wait_for(
                        lambda: resource not in self._lock_owners, self.lock_timeout
                    )
                finally:
                    self._waiting -= 1
                if not free:
                    raise LockTimeout(self.lock_timeout)
            self._lock_owners[resource] = owner

    def _release(self, resources: set[Hashable]) -> None:
        if not resources:
            return
        with self._mutex:
            for resource in resources:
                del self._lock_owners[resource]
            self._condition.notify_all()

    def _apply(self, transaction: MemoryTransaction) -> None:
        with self._mutex:
            for table, rows in transaction.writes.items():
                _merge(self._rows[table], rows)
            for index, entries in transaction.index_writes.items():
                _merge(self._indexes[index], entries)


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


def _merge(committed: dict[Key, Any], writes: dict[Key, Any]) -> None:
    for key, value in writes.items():
        if value is None:  # deleted by the transaction
            committed.pop(key, None)
        else:
            committed[key] = value


def _restore(entries: dict[Key, Any], key: Key, previous: Any) -> None:
    if previous is _MISSING:
        del entries[key]
    else:
        entries[key] = previous

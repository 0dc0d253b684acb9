"""An in-memory database that behaves like PostgreSQL at read committed, as seen by a use case.

Committed rows live in the database; each transaction keeps its own writes apart until it
commits, so they are invisible to other transactions. Writers lock what they write (a row, a
unique value), so a concurrent duplicate waits for the first writer and then fails, as an
INSERT does in PostgreSQL. Savepoints are positions in an undo log, so beginning a
transaction or a savepoint costs the same however much data the database holds.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any

from application.errors import TransactionError

_MISSING: Any = object()


class LockTimeout(TransactionError):
    def __init__(self, resource: Hashable, seconds: float) -> None:
        super().__init__(f"waited {seconds}s for another transaction to release {resource!r}")


class InMemoryDatabase:
    def __init__(self, lock_timeout: float = 10.0) -> None:
        self.lock_timeout = lock_timeout
        self._condition = threading.Condition()
        self._tables: dict[str, dict[Hashable, Any]] = defaultdict(dict)
        self._indexes: dict[tuple[str, str], dict[Hashable, Hashable]] = defaultdict(dict)
        self._lock_owners: dict[Hashable, MemoryTransaction] = {}

    def begin(self) -> MemoryTransaction:
        return MemoryTransaction(self)

    def committed(self, table: str) -> list[Any]:
        """Copies of the committed rows of a table, for inspection by tests and tools."""
        with self._condition:
            return [copy.copy(row) for row in self._tables[table].values()]

    def _committed_row(self, table: str, key: Hashable) -> Any:
        with self._condition:
            return self._tables[table].get(key)

    def _committed_items(self, table: str) -> list[tuple[Hashable, Any]]:
        with self._condition:
            return list(self._tables[table].items())

    def _committed_key(self, table: str, column: str, value: Hashable) -> Hashable | None:
        with self._condition:
            return self._indexes[(table, column)].get(value)

    def _acquire(self, owner: MemoryTransaction, resource: Hashable) -> bool:
        """Waits until no other transaction holds resource; True if owner newly holds it."""
        with self._condition:
            free = self._condition.wait_for(
                lambda: self._lock_owners.get(resource, owner) is owner, self.lock_timeout
            )
            if not free:
                raise LockTimeout(resource, self.lock_timeout)
            if resource in self._lock_owners:
                return False
            self._lock_owners[resource] = owner
            return True

    def _release(self, resources: set[Hashable]) -> None:
        with self._condition:
            for resource in resources:
                del self._lock_owners[resource]
            self._condition.notify_all()

    def _apply(self, transaction: MemoryTransaction) -> None:
        with self._condition:
            for table, rows in transaction.rows.items():
                self._tables[table].update(rows)
            for index, entries in transaction.index_entries.items():
                self._indexes[index].update(entries)


class MemoryTransaction:
    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database
        self.rows: dict[str, dict[Hashable, Any]] = defaultdict(dict)
        self.index_entries: dict[tuple[str, str], dict[Hashable, Hashable]] = defaultdict(dict)
        self._locks: set[Hashable] = set()
        self._undo_log: list[Callable[[], object]] = []

    def get(self, table: str, key: Hashable) -> Any:
        """A copy of the row this transaction sees, or None."""
        row = self.rows[table].get(key, _MISSING)
        if row is _MISSING:
            row = self._database._committed_row(table, key)
        return copy.copy(row)

    def find(self, table: str, column: str, value: Hashable) -> Any:
        """A copy of the row whose unique column holds value, or None."""
        key = self.index_entries[(table, column)].get(value, _MISSING)
        if key is _MISSING:
            key = self._database._committed_key(table, column, value)
        return None if key is None else self.get(table, key)

    def scan(self, table: str, matches: Callable[[Any], bool]) -> list[Any]:
        visible = dict(self._database._committed_items(table))
        visible.update(self.rows[table])
        return [copy.copy(row) for row in visible.values() if matches(row)]

    def put(
        self, table: str, key: Hashable, row: Any, unique: dict[str, Hashable] | None = None
    ) -> None:
        """Writes row; unique maps each unique column to its value, set once at insert."""
        rows = self.rows[table]
        previous = rows.get(key, _MISSING)
        rows[key] = copy.copy(row)
        self._undo_log.append(lambda: _restore(rows, key, previous))
        for column, value in (unique or {}).items():
            entries = self.index_entries[(table, column)]
            entries[value] = key
            self._undo_log.append(functools.partial(entries.pop, value))

    def lock(self, resource: Hashable) -> None:
        """Holds resource until this transaction ends, or the savepoint that took it rolls back."""
        if self._database._acquire(self, resource):
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

    def _end(self) -> None:
        self._release(set(self._locks))
        # Undo entries refer back to this transaction; dropped, the cycle goes with them, so
        # reference counting frees the transaction now instead of the garbage collector later.
        self._undo_log.clear()

    def _release(self, resources: set[Hashable]) -> None:
        self._locks -= resources
        self._database._release(resources)


def _restore(rows: dict[Hashable, Any], key: Hashable, previous: Any) -> None:
    if previous is _MISSING:
        del rows[key]
    else:
        rows[key] = previous

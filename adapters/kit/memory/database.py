"""An in-memory database that behaves like PostgreSQL at read committed, as seen by a use case.

It holds rows of the tables the features declare, and enforces what they declare:
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
import threading
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from adapters.kit.memory.constraints import Columns
from adapters.kit.memory.transaction import MemoryTransaction
from adapters.kit.storage import Key, Row
from application.kit.errors import TransientStorageError


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


def _merge(committed: dict[Key, Any], writes: dict[Key, Any]) -> None:
    for key, value in writes.items():
        if value is None:  # deleted by the transaction
            committed.pop(key, None)
        else:
            committed[key] = value

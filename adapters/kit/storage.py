"""What a backend's transaction offers repositories: rows, read and written by key under the
constraints each table declares. SQLAlchemy runs them as SQL; the memory backend enforces the
same constraints, read from the same tables.

A row is a dict of column values. Keys are tuples of the primary key's values, in order.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from typing import Any, Protocol

from sqlalchemy import Table

from adapters.kit.transactions import Handle
from application.kit.errors import StorageError

Row = dict[str, Any]
Key = tuple[Hashable, ...]


class UniqueViolation(StorageError):
    """A write would give a row the key, or a unique column's value, of another row."""

    def __init__(self, table: str, columns: tuple[str, ...]) -> None:
        super().__init__("IntegrityError")
        self.table = table
        self.columns = columns


class ForeignKeyViolation(StorageError):
    """A write refers to a row that does not exist, or a delete leaves rows referring to it."""

    def __init__(self, table: str) -> None:
        super().__init__("IntegrityError")
        self.table = table


class RowStore(Protocol):
    """The rows one transaction sees: committed ones and its own writes, no one else's."""

    def insert(self, table: Table, rows: list[Row]) -> None:
        """Raises UniqueViolation or ForeignKeyViolation, the first write that breaks one."""
        ...

    def get(self, table: Table, key: Key, for_update: bool = False) -> Row | None:
        """The row with this primary key. for_update locks it until the transaction ends: a
        concurrent writer, or reader for update, waits (SQLite serialises transactions)."""
        ...

    def find(self, table: Table, column: str, value: object) -> list[Row]:
        """The rows whose column holds value, in no particular order."""
        ...

    def update(self, table: Table, key: Key, values: Row, expected: Mapping[str, object]) -> bool:
        """Writes values into the row with this key if its columns hold the expected values;
        False when no such row matched (gone, or changed by someone else)."""
        ...

    def delete(self, table: Table, key: Key) -> None: ...

    def ping(self) -> None:
        """One trivial read, touching no table: returns when the storage answered."""
        ...


def key_of(table: Table, row: Mapping[str, Any]) -> Key:
    return tuple(row[name] for name in _key_columns(table))


@functools.cache
def _key_columns(table: Table) -> tuple[str, ...]:
    return tuple(column.name for column in table.primary_key.columns)


class StorageProbe:
    """What the health check reads: the storage's answer to a trivial query."""

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    def ping(self) -> None:
        self._rows.ping()


class RowTransaction(RowStore, Handle, Protocol):
    """One transaction of a backend that stores rows: what its begin() returns."""

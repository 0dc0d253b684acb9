"""What a table declares (its key, unique columns and indexes, NOT NULL columns and foreign
keys), read from the SQLAlchemy table in the form the memory backend checks it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import JSON, Table, UniqueConstraint

Columns = tuple[str, ...]


@dataclass(frozen=True)
class Constraints:
    """What a table declares, in the form the memory backend checks it."""

    key: Columns
    documents: Columns  # JSON columns: mutable values, copied in and out
    required: Columns  # NOT NULL
    unique: tuple[Columns, ...]
    references: tuple[tuple[Columns, Table], ...]  # local columns -> the table whose key they hold
    referenced_by: tuple[tuple[Table, Columns], ...]  # tables whose columns hold this one's key


@functools.cache
def constraints(table: Table) -> Constraints:
    for group in table.foreign_key_constraints:
        referred_key = [column.name for column in group.referred_table.primary_key.columns]
        if [fk.column.name for fk in group.elements] != referred_key:
            raise NotImplementedError(f"{table.name}: a foreign key must refer to a primary key")
    return Constraints(
        key=tuple(column.name for column in table.primary_key.columns),
        documents=tuple(column.name for column in table.columns if isinstance(column.type, JSON)),
        required=tuple(column.name for column in table.columns if not column.nullable),
        unique=(
            *(
                tuple(column.name for column in constraint.columns)
                for constraint in table.constraints
                if isinstance(constraint, UniqueConstraint)
            ),
            *(tuple(c.name for c in index.columns) for index in table.indexes if index.unique),
        ),
        references=tuple(
            (tuple(fk.parent.name for fk in group.elements), group.referred_table)
            for group in table.foreign_key_constraints
        ),
        referenced_by=tuple(
            (other, tuple(fk.parent.name for fk in group.elements))
            for other in table.metadata.tables.values()
            for group in other.foreign_key_constraints
            if group.referred_table is table
        ),
    )

"""A test-only aggregate, so that the tests of the transaction engine and of the repository
kit stand on their own: deleting the example domain leaves them intact.

A Widget has a unique name, a child collection of parts, a secret that must never reach an
error, and an optional parent (a foreign key to break on purpose).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Uuid

from adapters.kit.aggregates import Aggregate, AggregateRepository, Children
from adapters.kit.guard import repository
from adapters.kit.storage import Row, RowTransaction
from adapters.kit.tables import NAMING_CONVENTION
from adapters.kit.transactions import TransactionalUnitOfWork
from domain.errors import Conflict


class WidgetNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"widget name taken: {name}")


@dataclass(frozen=True)
class Part:
    name: str
    quantity: int = 1


@dataclass
class Widget:
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str = "widget"
    parts: list[Part] = field(default_factory=list)
    secret: str = field(default="", repr=False)
    parent_id: uuid.UUID | None = None
    version: int = 0


widget_metadata = MetaData(naming_convention=NAMING_CONVENTION)

widgets = Table(
    "widgets",
    widget_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("secret", String(200), nullable=False),
    Column("parent_id", ForeignKey("widgets.id")),
    Column("version", Integer, nullable=False),
)

widget_parts = Table(
    "widget_parts",
    widget_metadata,
    Column("widget_id", ForeignKey("widgets.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("quantity", Integer, nullable=False),
)


def widget_row(widget: Widget) -> Row:
    return {
        "id": widget.id,
        "name": widget.name,
        "secret": widget.secret,
        "parent_id": widget.parent_id,
        "widget_parts": [{"name": p.name, "quantity": p.quantity} for p in widget.parts],
    }


def widget_entity(row: Row) -> Widget:
    return Widget(
        id=row["id"],
        name=row["name"],
        parts=[Part(p["name"], p["quantity"]) for p in row["widget_parts"]],
        secret=row["secret"],
        parent_id=row["parent_id"],
        version=row["version"],
    )


class Widgets(AggregateRepository[Widget]):
    aggregate = Aggregate(
        kind="widget",
        table=widgets,
        to_row=widget_row,
        to_entity=widget_entity,
        children=(Children(widget_parts, parent_column="widget_id"),),
        conflicts={"name": lambda widget: WidgetNameTaken(widget.name)},
    )

    def get_by_name(self, name: str) -> Widget | None:
        return self._find_one("name", name)


class WidgetUnitOfWork(TransactionalUnitOfWork[RowTransaction]):
    """A unit of work of the kit's alone, with the widgets: what the engine's tests use, on
    the in-memory database (`WidgetUnitOfWork(database.begin)`) or on SQL."""

    widgets = repository(Widgets)


@dataclass
class WidgetBackend:
    """A unit of work with the widgets, on one backend, and how many it has committed."""

    name: str
    uow: WidgetUnitOfWork
    count: Callable[[], int]


def add_widget(uow: WidgetUnitOfWork, name: str) -> Widget:
    widget = Widget(name=name)
    uow.widgets.add(widget)
    return widget


def names(uow: WidgetUnitOfWork, *candidates: str) -> list[str]:
    """Which of the candidates name a committed widget."""
    with uow.transaction():
        return [c for c in candidates if uow.widgets.get_by_name(c) is not None]

"""The differential harness on the test-only widgets: the kit's memory backend behaves like
SQLite and PostgreSQL with no feature at all, through adds, renames, children, unique names,
missing parents, savepoints, rollbacks and on_commit callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule

from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.sqlalchemy.database import SqlRows
from tests.kit.differential import (
    MemoryEqualsDatabase,
    in_one_transaction,
    run_differential,
)
from tests.kit.widgets import Part, Widget, WidgetUnitOfWork, widget_metadata
from tests.support import SQL_BACKENDS, Boom, empty

NAMES = ["ada", "grace", "alan"]
ACTIONS = ["add", "add_orphan", "nested_add_then_fail", "rename", "stale_rename", "add_part"]


@dataclass(frozen=True)
class Step:
    action: str
    name: str
    other: str


steps = st.builds(
    Step,
    action=st.sampled_from([*ACTIONS, "read", "on_commit"]),
    name=st.sampled_from(NAMES),
    other=st.sampled_from(NAMES),
)


class WidgetWorld:
    def __init__(self, uow: WidgetUnitOfWork) -> None:
        self.uow = uow
        self.ran: list[str] = []

    def script(self, script: list[Step], roll_back: bool) -> list[str]:
        return in_one_transaction(self.uow, script, self._step, roll_back)

    def _step(self, step: Step) -> object:
        widgets = self.uow.widgets
        if step.action == "add":
            widgets.add(Widget(name=step.name, parts=[Part("bolt")]))
            return "added"
        if step.action == "add_orphan":
            widgets.add(Widget(name=step.name, parent_id=Widget().id))
            return "added"
        if step.action == "nested_add_then_fail":
            with self.uow.transaction():
                widgets.add(Widget(name=step.name))
                raise Boom
        if step.action == "on_commit":
            self.uow.on_commit(lambda: self.ran.append(step.name))
            return "registered callback"
        widget = widgets.get_by_name(step.name)
        if widget is None:
            return "no such widget"
        if step.action == "read":
            return (widget.name, widget.parts, widget.version)
        if step.action == "stale_rename":
            widget.version -= 1
        if step.action == "add_part":
            widget.parts = sorted({*widget.parts, Part(step.other)}, key=lambda p: p.name)
        else:
            widget.name = step.other
        widgets.save(widget)
        return widget.version

    def state(self) -> object:
        with self.uow.transaction():
            found = {name: self.uow.widgets.get_by_name(name) for name in NAMES}
        return {n: w and (w.parts, w.version) for n, w in found.items()}, self.ran


class WidgetsEverywhere(MemoryEqualsDatabase):
    @rule(script=st.lists(steps, max_size=5), roll_back=st.booleans())
    def run_script(self, script: list[Step], roll_back: bool) -> None:
        self.both(lambda world: world.script(script, roll_back))


@pytest.mark.parametrize("database", SQL_BACKENDS)
def test_the_memory_backend_keeps_the_widgets_as_the_database_does(
    database: str, request: pytest.FixtureRequest
) -> None:
    engine = request.getfixturevalue(f"{database}_engine")

    def make_worlds() -> tuple[WidgetWorld, WidgetWorld]:
        empty(engine, widget_metadata)
        memory = WidgetUnitOfWork(InMemoryDatabase().begin)
        return WidgetWorld(memory), WidgetWorld(WidgetUnitOfWork(partial(SqlRows, engine)))

    run_differential(WidgetsEverywhere, make_worlds)

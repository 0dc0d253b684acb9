"""The repository contract on the test-only widgets: every part of it, on every backend, with
no feature at all."""

from __future__ import annotations

import uuid

from tests.kit.rule_contracts import ParentContract, RequiredContract, UniqueChangeContract
from tests.kit.widgets import Part, Widget, WidgetNameTaken, WidgetUnitOfWork


class TestWidgets(UniqueChangeContract, ParentContract, RequiredContract):
    clash_error = WidgetNameTaken

    def repository(self, uow: WidgetUnitOfWork) -> object:
        return uow.widgets

    def new(self, uow: WidgetUnitOfWork) -> Widget:
        return Widget(name=uuid.uuid4().hex, parts=[Part("bolt", 2), Part("gear")])

    def change(self, widget: Widget) -> None:
        widget.name = f"renamed {uuid.uuid4().hex[:8]}"
        widget.parts = [Part(p.name, p.quantity + 1) for p in widget.parts[1:]]
        widget.parts.append(Part(f"nut {uuid.uuid4().hex[:8]}"))
        widget.parts.sort(key=lambda part: part.name)  # as they are read back: by their key

    def clash(self, widget: Widget) -> Widget:
        return Widget(name=widget.name)

    def take_unique(self, widget: Widget, other: Widget) -> None:
        widget.name = other.name

    def orphan(self) -> Widget:
        return Widget(name="orphan", parent_id=uuid.uuid4())

    def without_required(self, widget: Widget) -> Widget:
        return Widget(name=None)  # type: ignore[arg-type]

"""The pieces every use case is built from, with or without the example: a command that
refuses what it does not know and never echoes a rejected value, the one shape of a use case,
and the clocks (the system's, and one a test moves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from adapters.kit.clock import ManualClock, SystemClock
from application.kit.use_case import Command, UseCase


class RenameCommand(Command):
    name: str


def test_a_command_refuses_a_field_it_does_not_know_naming_it_never_its_value() -> None:
    with pytest.raises(ValidationError) as refused:
        RenameCommand.model_validate({"name": "engines", "password": "hunter2"})

    assert [problem["loc"] for problem in refused.value.errors()] == [("password",)]
    assert "hunter2" not in str(refused.value)


def test_a_command_cannot_be_changed_once_made() -> None:
    command = RenameCommand(name="engines")

    with pytest.raises(ValidationError):
        command.name = "gears"  # type: ignore[misc]


def test_a_use_case_without_execute_cannot_be_made() -> None:
    class Unfinished(UseCase[RenameCommand, str]):
        pass

    with pytest.raises(TypeError, match="execute"):
        Unfinished()  # type: ignore[abstract]


def test_the_system_clock_tells_the_time_in_utc() -> None:
    now = SystemClock().now()

    assert now.tzinfo is UTC
    assert abs(datetime.now(UTC) - now) < timedelta(seconds=5)


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(datetime(2026, 5, 4, tzinfo=UTC))
    before = clock.now()

    clock.advance(timedelta(minutes=3))

    assert (before, clock.now()) == (
        datetime(2026, 5, 4, tzinfo=UTC),
        datetime(2026, 5, 4, 0, 3, tzinfo=UTC),
    )

"""The differential harness: the in-memory unit of work proven equal to the database.

Hypothesis drives the same random sequence of operations against the memory backend and a SQL
backend side by side, and after every step asserts that both observed the same results, the
same errors and the same committed state. A feature's differential test subclasses
MemoryEqualsDatabase with rules of its own, each acting on both worlds through `both`, and a
world class whose `state()` reads what it committed. To search longer, raise
KEEL_DIFFERENTIAL_EXAMPLES.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar, Protocol, TypeVar

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test

from tests.support import Boom

StepT = TypeVar("StepT")

EXAMPLES = int(os.environ.get("KEEL_DIFFERENTIAL_EXAMPLES", "30"))


class World(Protocol):
    """One backend as the machine sees it: what it observes is free of backend-made ids."""

    def state(self) -> object:
        """What is committed, read in a transaction of its own."""
        ...


def outcome(action: Callable[[], object]) -> str:
    """What a caller observes: the result's repr, or the class of the error raised."""
    try:
        result = action()
    except Exception as error:
        return type(error).__name__
    return repr(result)


def in_one_transaction(
    uow: Any, steps: Sequence[StepT], run: Callable[[StepT], object], roll_back: bool
) -> list[str]:
    """Runs each step in one transaction of uow, observing each, then the transaction's
    own end; rolls it back (by raising Boom) when roll_back says so."""
    observed: list[str] = []

    def steps_then_end() -> None:
        with uow.transaction():
            observed.extend(outcome(partial(run, step)) for step in steps)
            if roll_back:
                raise Boom

    observed.append(outcome(steps_then_end))
    return observed


class MemoryEqualsDatabase(RuleBasedStateMachine):
    """Runs every rule on both worlds and compares what they observed, then their state."""

    make_worlds: ClassVar[Callable[[], tuple[Any, Any]]]

    def __init__(self) -> None:
        super().__init__()
        self.worlds = type(self).make_worlds()

    def both(self, act: Callable[[Any], object]) -> None:
        memory, database = (act(world) for world in self.worlds)
        assert memory == database

    @invariant()
    def same_committed_state(self) -> None:
        self.both(lambda world: world.state())


def run_differential(
    machine: type[MemoryEqualsDatabase], make_worlds: Callable[[], tuple[Any, Any]]
) -> None:
    """Runs machine on the worlds make_worlds returns (memory first), EXAMPLES times."""
    run = type(machine.__name__, (machine,), {"make_worlds": staticmethod(make_worlds)})
    run_state_machine_as_test(
        run, settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None)
    )

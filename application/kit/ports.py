"""The ports every feature shares: transactions, the storage itself, and the clock.

Each feature adds its own in its ports module: its repositories, listed on a unit of work of its
own that extends this one (e.g. `AccountsUnitOfWork`), and the outside things it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol


class Storage(Protocol):
    """The storage itself, apart from any entity."""

    def ping(self) -> None:
        """One trivial read: returns when the storage answered, raises what it raised."""
        ...


class UnitOfWork(Protocol):
    """Transactions with the semantics of Django's `atomic`, and the repositories inside them.

    `transaction()` is all-or-nothing: the outermost block commits or rolls back; a nested
    block is a savepoint that undoes only its own writes when it raises. A failed write dooms
    the block it ran in. Repositories are usable only inside a transaction.
    """

    @property
    def storage(self) -> Storage: ...

    def transaction(
        self, durable: bool = False, savepoint: bool = True
    ) -> AbstractContextManager[None]:
        """Begins a transaction, or a savepoint when one is active; durable refuses to nest.

        savepoint=False joins an active transaction without a savepoint: a failure inside then
        fails the enclosing block too. For a step whose error its callers propagate anyway.
        """
        ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Runs callback once after the outermost commit; never after a rollback."""
        ...


class Clock(Protocol):
    """The current time, timezone-aware in UTC; tests use a clock they can move."""

    def now(self) -> datetime: ...

"""The semantics of `uow.transaction()`, written once so every unit of work obeys them alike.

A backend gives `begin()`, which returns a Handle to one transaction of its own; this module
decides what nests, what commits, what a failed call dooms, and when on_commit callbacks run.
It knows no entity, nor any repository (guard.py declares those): adding one never changes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from application.kit.errors import (
    NestedDurableTransaction,
    NoActiveTransaction,
    TransactionDoomed,
    TransactionError,
)
from domain.errors import NotFound

logger = logging.getLogger(__name__)


class Handle(Protocol):
    """One transaction of a backend, begun by its `begin()`: what the engine asks of it."""

    def commit(self) -> None:
        """Commits; whether it succeeds or raises, the handle is finished afterwards."""

    def rollback(self) -> None: ...

    def savepoint(self) -> object:
        """Marks the point a `rollback_to` returns to. A savepoint is never released on its
        own: the outermost commit keeps what it holds, the outermost rollback undoes it."""

    def rollback_to(self, savepoint: Any) -> None: ...


HandleT = TypeVar("HandleT", bound=Handle)


@dataclass(slots=True)
class Block:
    """One open `with uow.transaction():` block: who opened it, its savepoint (none for the
    outermost, or for a nested block that joins without one), its callbacks, and the failure
    that doomed it."""

    opened_by: object
    savepoint: object = None
    joined: bool = False  # nested without a savepoint: its failure is its parent's
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    failure: BaseException | None = None

    def raise_if_doomed(self) -> None:
        if self.failure is not None:
            raise TransactionDoomed(self.failure) from self.failure


def _owner() -> tuple[int, asyncio.Task[object] | None]:
    """Who may use a transaction: the thread that began it, and its asyncio task if any."""
    # Asked of every repository call: _get_running_loop (exported by asyncio) answers None
    # where current_task would raise, and raising costs more than the rest of this together.
    loop = asyncio._get_running_loop()
    return threading.get_ident(), None if loop is None else asyncio.current_task(loop)


class Transaction(Generic[HandleT]):
    """An outermost transaction: the backend's handle, the stack of open blocks, and the
    repositories built for it on first use."""

    def __init__(self, handle: HandleT, opened_by: object) -> None:
        self.handle = handle
        self.blocks = [Block(opened_by)]
        self.owner = _owner()
        self.closed = False
        self.repositories: dict[str, object] = {}

    def usable(self) -> HandleT:
        """The handle, for a repository about to use it; raises if it must not be used."""
        if self.closed:
            raise NoActiveTransaction()
        if self.owner != _owner():
            # A repository kept in a variable and used from another thread or task: it must
            # not slip its writes into a transaction (and a connection) that is not its own.
            raise TransactionError(
                "a transaction is usable only by the thread or task that began it"
            )
        self.blocks[-1].raise_if_doomed()
        return self.handle

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Every repository call passes here: the doom rule, in one place.

        A call that raises dooms its block, as PostgreSQL aborts a transaction whose statement
        failed; only NotFound leaves it usable, since a read that found nothing changed nothing.
        """
        self.usable()
        try:
            return method(*args, **kwargs)
        except NotFound:
            raise
        except Exception as error:
            self.blocks[-1].failure = error
            raise


class TransactionalUnitOfWork(Generic[HandleT]):
    """A unit of work whose transactions nest, over a backend's `begin`. Share ONE instance (a
    container singleton): nesting is found through this instance's context variable, so a
    second instance would open an unrelated transaction instead of a savepoint.

    This class owns the state machine: blocks only call `_enter` and `_exit`.
    """

    def __init__(self, begin: Callable[[], HandleT]) -> None:
        self._begin = begin
        # A context variable, not a thread-local: asyncio tasks get their own transactions too.
        self._current: ContextVar[Transaction[HandleT] | None] = ContextVar(
            f"{type(self).__name__}-{id(self)}", default=None
        )

    def transaction(self, durable: bool = False, savepoint: bool = True) -> TransactionBlock:
        return TransactionBlock(self, durable, savepoint)

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.active_transaction().blocks[-1].callbacks.append(callback)

    def active_transaction(self) -> Transaction[HandleT]:
        """The usable transaction of this thread or task; raises if there is none."""
        current = self._current_transaction()
        if current is None:
            raise NoActiveTransaction()
        current.blocks[-1].raise_if_doomed()
        return current

    def _current_transaction(self) -> Transaction[HandleT] | None:
        """The open transaction of this thread or task, if any.

        A task or thread started inside a transaction inherits the context variable, but not
        the transaction: it must never share a connection with the code that started it.
        """
        current = self._current.get()
        if current is None or current.closed or current.owner != _owner():
            return None
        return current

    def _enter(self, block: object, durable: bool, savepoint: bool) -> None:
        current = self._current_transaction()
        if current is None:
            self._current.set(Transaction(self._begin(), opened_by=block))
        elif durable:
            raise NestedDurableTransaction()
        elif not savepoint:
            current.blocks[-1].raise_if_doomed()
            current.blocks.append(Block(opened_by=block, joined=True))
        else:
            current.blocks[-1].raise_if_doomed()
            current.blocks.append(Block(opened_by=block, savepoint=current.handle.savepoint()))

    def _exit(self, block: object, error: BaseException | None) -> None:
        transaction = self._current_transaction()
        if transaction is None or transaction.blocks[-1].opened_by is not block:
            # An inner block was never exited (an abandoned generator, say): nothing in this
            # transaction can be trusted, so none of it is kept.
            if transaction is not None:
                self._close(transaction, commit=False)
            raise TransactionError("transaction blocks were exited out of order; rolled back")
        if len(transaction.blocks) > 1:
            self._exit_nested(transaction, error)
        else:
            self._exit_outermost(transaction, error)

    def _exit_nested(self, transaction: Transaction[HandleT], error: BaseException | None) -> None:
        block = transaction.blocks.pop()
        parent = transaction.blocks[-1]
        failure = error if error is not None else block.failure
        if failure is None:
            parent.callbacks.extend(block.callbacks)
            return
        if block.joined:
            parent.failure = failure  # nothing can undo a joined block alone
        else:
            try:
                transaction.handle.rollback_to(block.savepoint)
            except Exception:
                # The savepoint cannot be rolled back (the connection died, say): nothing of
                # the transaction can be kept, and the failure that got here is the news.
                for enclosing in transaction.blocks:
                    enclosing.failure = enclosing.failure or failure
                if error is None:
                    raise
                return
        if error is None:
            block.raise_if_doomed()

    def _exit_outermost(
        self, transaction: Transaction[HandleT], error: BaseException | None
    ) -> None:
        [block] = transaction.blocks
        doomed = block.failure is not None
        self._close(transaction, commit=error is None and not doomed)
        if doomed and error is None:
            block.raise_if_doomed()
        if error is not None or doomed:
            return
        # Outside the transaction, so that a callback may open a transaction of its own.
        for callback in block.callbacks:
            try:
                callback()
            except Exception:
                # Its name, not its repr: a partial's repr would show its arguments.
                name = getattr(callback, "__qualname__", type(callback).__qualname__)
                logger.exception("on_commit callback %s failed; the commit stands", name)

    def _close(self, transaction: Transaction[HandleT], commit: bool) -> None:
        try:
            if commit:
                transaction.handle.commit()
            else:
                transaction.handle.rollback()
        finally:
            transaction.closed = True
            # The repositories point back at the transaction: unlinked, both are freed as the
            # block ends, not left for the garbage collector.
            transaction.repositories.clear()
            self._current.set(None)


class TransactionBlock:
    """One `with uow.transaction():`. Nested, it is a savepoint; with savepoint=False it joins
    the enclosing block instead, like Django's `atomic(savepoint=False)`: one round trip less,
    and a failure inside fails the enclosing block too.

    It keeps no state of its own: whether it is outermost or nested is decided when it is
    entered, and what it opened is kept on the transaction of the thread or task that entered
    it. So one block object may be kept and entered again, nested or from several threads."""

    def __init__(self, uow: TransactionalUnitOfWork[Any], durable: bool, savepoint: bool) -> None:
        self._uow = uow
        self._durable = durable
        self._savepoint = savepoint

    def __enter__(self) -> None:
        self._uow._enter(self, self._durable, self._savepoint)

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._uow._exit(self, error)

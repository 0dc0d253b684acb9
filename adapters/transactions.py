"""The semantics of `uow.transaction()`, written once so both units of work obey them alike.

A backend supplies six storage hooks (begin, commit, rollback, and the three savepoint
operations) and its repositories; this module decides what nests, what commits, what a failed
write dooms, and when on_commit callbacks run.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import Generic, TypeVar, cast

from application.errors import (
    NestedDurableTransaction,
    NoActiveTransaction,
    TransactionDoomed,
    TransactionError,
)
from application.ports import AccountRepository, NotificationRepository, Outbox, UserRepository

logger = logging.getLogger(__name__)

HandleT = TypeVar("HandleT")
SavepointT = TypeVar("SavepointT")
ErrorT = TypeVar("ErrorT", bound=BaseException)


@dataclass
class Repositories:
    accounts: AccountRepository
    users: UserRepository
    notifications: NotificationRepository
    outbox: Outbox


@dataclass
class Block:
    """One open `with uow.transaction():` block: who opened it, its savepoint (none for the
    outermost), its callbacks, and the write that doomed it."""

    opened_by: object
    savepoint: object = None
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    failure: BaseException | None = None

    def raise_if_doomed(self) -> None:
        if self.failure is not None:
            raise TransactionDoomed(self.failure) from self.failure


def _owner() -> tuple[int, asyncio.Task[object] | None]:
    """Who may use a transaction: the thread that began it, and its asyncio task if any."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        task = None
    return threading.get_ident(), task


class Transaction(Generic[HandleT]):
    """An outermost transaction: the backend's handle and the stack of open blocks."""

    def __init__(self, handle: HandleT, opened_by: object) -> None:
        self.handle = handle
        self.blocks = [Block(opened_by)]
        self.owner = _owner()
        self.closed = False
        self.repositories: Repositories
        self.token: Token[Transaction[HandleT] | None]

    def doom(self, error: ErrorT) -> ErrorT:
        """Marks the innermost block as failed; returns error so the caller can raise it."""
        self.blocks[-1].failure = error
        return error

    def usable(self) -> HandleT:
        """The handle, for a repository about to use it; raises if it must not be used."""
        if self.closed:
            raise NoActiveTransaction()
        self.blocks[-1].raise_if_doomed()
        return self.handle


class TransactionalUnitOfWork(abc.ABC, Generic[HandleT, SavepointT]):
    """A unit of work whose transactions nest. Share ONE instance (a container singleton):
    nesting is found through this instance's context variable, so a second instance would
    open an unrelated transaction instead of a savepoint."""

    def __init__(self) -> None:
        # A context variable, not a thread-local: asyncio tasks get their own transactions too.
        self._current: ContextVar[Transaction[HandleT] | None] = ContextVar(
            f"{type(self).__name__}-{id(self)}", default=None
        )

    @property
    def accounts(self) -> AccountRepository:
        return self._active().repositories.accounts

    @property
    def users(self) -> UserRepository:
        return self._active().repositories.users

    @property
    def notifications(self) -> NotificationRepository:
        return self._active().repositories.notifications

    @property
    def outbox(self) -> Outbox:
        return self._active().repositories.outbox

    def transaction(self, durable: bool = False) -> TransactionBlock[HandleT, SavepointT]:
        return TransactionBlock(self, durable)

    def on_commit(self, callback: Callable[[], None]) -> None:
        transaction = self._active()
        transaction.blocks[-1].callbacks.append(callback)

    def _current_transaction(self) -> Transaction[HandleT] | None:
        """The open transaction of this thread or task, if any.

        A task or thread started inside a transaction inherits the context variable, but not
        the transaction: it must never share a session with the code that started it.
        """
        current = self._current.get()
        if current is None or current.closed or current.owner != _owner():
            return None
        return current

    def _active(self) -> Transaction[HandleT]:
        current = self._current_transaction()
        if current is None:
            raise NoActiveTransaction()
        current.usable()
        return current

    @abc.abstractmethod
    def _begin(self) -> HandleT: ...

    @abc.abstractmethod
    def _commit(self, handle: HandleT) -> None:
        """Commits; whether it succeeds or raises, the handle is finished afterwards."""

    @abc.abstractmethod
    def _rollback(self, handle: HandleT) -> None: ...

    @abc.abstractmethod
    def _begin_savepoint(self, handle: HandleT) -> SavepointT: ...

    @abc.abstractmethod
    def _release_savepoint(self, handle: HandleT, savepoint: SavepointT) -> None: ...

    @abc.abstractmethod
    def _rollback_savepoint(self, handle: HandleT, savepoint: SavepointT) -> None: ...

    @abc.abstractmethod
    def _repositories(self, transaction: Transaction[HandleT]) -> Repositories: ...


class TransactionBlock(Generic[HandleT, SavepointT]):
    """One `with uow.transaction():`. It keeps no state of its own: whether it is outermost or
    nested is decided when it is entered, and what it opened is kept on the transaction of the
    thread or task that entered it. So one block object may be kept and entered again, nested
    or from several threads at once."""

    def __init__(self, uow: TransactionalUnitOfWork[HandleT, SavepointT], durable: bool) -> None:
        self._uow = uow
        self._durable = durable

    def __enter__(self) -> None:
        uow = self._uow
        current = uow._current_transaction()
        if current is None:
            transaction = Transaction(uow._begin(), opened_by=self)
            try:
                transaction.repositories = uow._repositories(transaction)
            except BaseException:
                uow._rollback(transaction.handle)
                raise
            transaction.token = uow._current.set(transaction)
        elif self._durable:
            raise NestedDurableTransaction()
        else:
            current.usable()
            savepoint = uow._begin_savepoint(current.handle)
            current.blocks.append(Block(opened_by=self, savepoint=savepoint))

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        transaction = self._uow._current_transaction()
        if transaction is None or transaction.blocks[-1].opened_by is not self:
            # An inner block was never exited (an abandoned generator, say): nothing in this
            # transaction can be trusted, so none of it is kept.
            if transaction is not None:
                self._close(transaction, commit=False)
            raise TransactionError("transaction blocks were exited out of order; rolled back")
        if len(transaction.blocks) > 1:
            self._exit_nested(transaction, failed=error is not None)
        else:
            self._exit_outermost(transaction, failed=error is not None)

    def _exit_nested(self, transaction: Transaction[HandleT], failed: bool) -> None:
        block = transaction.blocks.pop()
        savepoint = cast(SavepointT, block.savepoint)
        if failed or block.failure is not None:
            self._uow._rollback_savepoint(transaction.handle, savepoint)
            if not failed:
                block.raise_if_doomed()
            return
        self._uow._release_savepoint(transaction.handle, savepoint)
        transaction.blocks[-1].callbacks.extend(block.callbacks)

    def _exit_outermost(self, transaction: Transaction[HandleT], failed: bool) -> None:
        [block] = transaction.blocks
        doomed = block.failure is not None
        self._close(transaction, commit=not (failed or doomed))
        if doomed and not failed:
            block.raise_if_doomed()
        if failed or doomed:
            return
        # Outside the transaction, so that a callback may open a transaction of its own.
        for callback in block.callbacks:
            try:
                callback()
            except Exception:
                logger.exception("on_commit callback %r failed; the commit stands", callback)

    def _close(self, transaction: Transaction[HandleT], commit: bool) -> None:
        uow = self._uow
        try:
            if commit:
                uow._commit(transaction.handle)
            else:
                uow._rollback(transaction.handle)
        finally:
            transaction.closed = True
            uow._current.reset(transaction.token)
            # The repositories point back at the transaction. Unlinked, the two (and the
            # session) are freed as the block ends, not left for the garbage collector.
            del transaction.repositories

"""Errors of the application layer: what a use case or a unit of work can refuse."""

from __future__ import annotations

from domain.errors import Conflict


class ApplicationError(Exception):
    """Base class of the errors use cases and units of work raise on purpose."""


class ConcurrentUpdate(Conflict):
    """Someone else saved the entity since it was read; read it again and retry."""

    def __init__(self, kind: str, identifier: object, version: int) -> None:
        super().__init__(
            f"{kind} {identifier} was changed by someone else (read at version {version})"
        )
        self.kind = kind
        self.identifier = identifier


class Unavailable(ApplicationError):
    """The request is fine but cannot be served now: the same request may succeed later."""


class StorageError(ApplicationError):
    """The database failed in a way the application has no name for: a broken constraint
    nobody translated, a lost connection. The reason names classes of error (the library's
    and the driver's), never the values: a driver's message may quote what it was writing,
    a password hash among them."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database failed: {reason}")
        self.reason = reason


class TransientStorageError(StorageError, Unavailable):
    """A failure of the moment, not of the request: a lost connection, a lock or statement
    timeout, a serialisation failure, no connection free in the pool. Retrying the whole
    transaction may succeed."""


class Overloaded(Unavailable):
    """Too much work of one kind is in flight (password hashing, say): refused at once
    rather than queued without bound."""


class TransactionError(ApplicationError):
    """A unit of work was used in a way its transaction semantics forbid."""


class NoActiveTransaction(TransactionError):
    def __init__(self) -> None:
        super().__init__("repositories are usable only inside `with uow.transaction():`")


class NestedDurableTransaction(TransactionError):
    def __init__(self) -> None:
        super().__init__("transaction(durable=True) cannot run inside another transaction")


class TransactionDoomed(TransactionError):
    """A write failed in this block; it can only roll back. Run fallible steps in a nested block."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            # Only the error's name: a driver's message may quote the values it was writing.
            "this transaction block can only roll back: an earlier write failed "
            f"({type(cause).__name__}); "
            "run a step that may fail in its own nested `with uow.transaction():`"
        )
        self.cause = cause

"""What a SQLAlchemy error becomes for the application: StorageError, or TransientStorageError
when the same transaction may succeed if tried again.

The reason names SQLAlchemy's error class, the driver's, and PostgreSQL's SQLSTATE: enough
for a log to tell a lost connection from a bug. Never the message: a driver's message may
quote the values it was writing, a password hash among them.
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from application.kit.errors import StorageError, TransientStorageError

# PostgreSQL's SQLSTATEs of a moment's failure: serialisation failure, deadlock, lock not
# available, statement timeout (query_canceled), and too many connections.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57014", "53300"}
# Whole classes: 08 connection exception; 57P operator intervention (shutdown, restart).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "57P")
# SQLite's primary result codes of a database another connection holds: BUSY, LOCKED.
_SQLITE_BUSY_CODES = {5, 6}


def storage_error(error: SQLAlchemyError) -> StorageError:
    """The application's error for error, with a reason that holds no value."""
    reason = _reason(error)
    return TransientStorageError(reason) if _is_transient(error) else StorageError(reason)


def _reason(error: SQLAlchemyError) -> str:
    driver_error = getattr(error, "orig", None)
    if driver_error is None:
        return type(error).__name__
    driver_class = type(driver_error)
    cause = f"{driver_class.__module__}.{driver_class.__qualname__}"
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate:
        cause += f", SQLSTATE {sqlstate}"
    return f"{type(error).__name__} ({cause})"


def _is_transient(error: SQLAlchemyError) -> bool:
    if isinstance(error, PoolTimeout | DisconnectionError):
        return True  # no connection free in time, or one found dead on checkout
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy saw the connection die under this statement
    driver_error = getattr(error, "orig", None)
    sqlstate = getattr(driver_error, "sqlstate", "")
    if sqlstate is None and isinstance(error, OperationalError):
        return True  # psycopg names no SQLSTATE for its side of a connection: refused, reset
    if sqlstate and (
        sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    ):
        return True
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    return sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_BUSY_CODES

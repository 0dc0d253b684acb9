"""Registration written straight against the drivers (psycopg 3, sqlite3): no ORM, no unit
of work, the same two INSERTs in one transaction. Also the bulk loads for the scale rows."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable

import psycopg

ACCOUNT_COLUMNS = "id, name, seat_limit, version"
USER_COLUMNS = "id, account_id, email, password_hash, role, version"


class RawPostgres:
    def __init__(self, conninfo: str) -> None:
        self._connection = psycopg.connect(conninfo)

    def register(self, email: str, password_hash: str) -> None:
        account_id = uuid.uuid4()
        with self._connection.transaction():
            self._connection.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (%s, %s, 5, 1)",
                (account_id, email),
            )
            self._connection.execute(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES (%s, %s, %s, %s, 'admin', 1)",
                (uuid.uuid4(), account_id, email, password_hash),
            )

    def load_users(self, emails: Iterable[str], password_hash: str) -> None:
        """COPYs one account and its admin per email, then refreshes the planner's statistics."""
        accounts = [(uuid.uuid4(), email) for email in emails]
        with self._connection.transaction(), self._connection.cursor() as cursor:
            with cursor.copy(f"COPY accounts ({ACCOUNT_COLUMNS}) FROM STDIN") as copy:
                for account_id, email in accounts:
                    copy.write_row((account_id, email, 5, 1))
            with cursor.copy(f"COPY users ({USER_COLUMNS}) FROM STDIN") as copy:
                for account_id, email in accounts:
                    copy.write_row((uuid.uuid4(), account_id, email, password_hash, "admin", 1))
        self._connection.execute("ANALYZE accounts, users")
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


class RawSqlite:
    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path)
        self._connection.execute("PRAGMA foreign_keys = ON")  # as the keel engine enables

    def register(self, email: str, password_hash: str) -> None:
        account_id = uuid.uuid4().hex  # SQLAlchemy's Uuid type stores 32 hex digits on SQLite
        with self._connection:
            self._connection.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, 5, 1)", (account_id, email)
            )
            self._connection.execute(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, 'admin', 1)",
                (uuid.uuid4().hex, account_id, email, password_hash),
            )

    def load_users(self, emails: Iterable[str], password_hash: str) -> None:
        """Inserts one account and its admin per email with executemany, in one transaction."""
        accounts = [(uuid.uuid4().hex, email) for email in emails]
        with self._connection:
            self._connection.executemany(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, 5, 1)", accounts
            )
            self._connection.executemany(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, 'admin', 1)",
                [(uuid.uuid4().hex, a, email, password_hash) for a, email in accounts],
            )
        self._connection.execute("ANALYZE")

    def close(self) -> None:
        self._connection.close()

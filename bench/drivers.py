"""Registration written straight against the drivers (psycopg 3, sqlite3): no ORM, no unit
of work, the statements keel sends: the account and its admin, then the welcome in a
savepoint, in one transaction. Also the bulk loads for the scale rows."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable

import psycopg

ACCOUNT_COLUMNS = "id, name, seat_limit, version"
USER_COLUMNS = "id, account_id, email, password_hash, role, version"
NOTIFICATION_COLUMNS = (
    "id, kind, about, recipient, idempotency_key, payload, status, attempts, next_attempt_at"
)
# What each registration sends: BEGIN, 2 INSERTs, SAVEPOINT, INSERT, COMMIT (no pool, no ping).
STATEMENTS_PER_REGISTRATION = 6


def _welcome(user_id: object, email: str) -> tuple[object, ...]:
    payload = json.dumps({"subject": "Welcome to keel", "body": f"Hello {email}"})
    return (
        uuid.uuid4(),
        "welcome",
        str(user_id),
        email,
        f"welcome:{user_id}",
        payload,
        "pending",
        0,
    )


class RawPostgres:
    def __init__(self, conninfo: str) -> None:
        self._connection = psycopg.connect(conninfo)

    def register(self, email: str, password_hash: str, welcome: bool = True) -> None:
        account_id, user_id = uuid.uuid4(), uuid.uuid4()
        with self._connection.transaction():
            self._connection.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (%s, %s, 5, 1)",
                (account_id, email),
            )
            self._connection.execute(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES (%s, %s, %s, %s, 'admin', 1)",
                (user_id, account_id, email, password_hash),
            )
            if welcome:
                self._connection.execute("SAVEPOINT welcome")
                self._connection.execute(
                    f"INSERT INTO notifications ({NOTIFICATION_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())",
                    _welcome(user_id, email),
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
        self._connection.execute("PRAGMA foreign_keys = ON")  # as the service's engine does

    def register(self, email: str, password_hash: str, welcome: bool = True) -> None:
        # SQLAlchemy's Uuid type stores 32 hex digits on SQLite.
        account_id, user_id = uuid.uuid4().hex, uuid.uuid4().hex
        with self._connection:
            self._connection.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, 5, 1)", (account_id, email)
            )
            self._connection.execute(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, 'admin', 1)",
                (user_id, account_id, email, password_hash),
            )
            if welcome:
                self._connection.execute("SAVEPOINT welcome")
                notification_id, *rest = _welcome(user_id, email)
                self._connection.execute(
                    f"INSERT INTO notifications ({NOTIFICATION_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, datetime('now'))",
                    (uuid.UUID(str(notification_id)).hex, *rest),
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

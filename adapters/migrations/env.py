"""How Alembic reaches the database: the service passes a connection, the `alembic` command a URL.

Code migrates through `upgrade` and `downgrade` in this package, which hand over an open
connection. Developers writing a revision run the `alembic` command (alembic.ini at the
repository root), which reads KEEL_DATABASE_URL itself: adapters never import
bootstrap's Settings, the composition root.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool

from adapters.kit.sqlalchemy.database import create_engine
from adapters.unit_of_work import schema


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema(),
        # SQLite can alter little in place; batch operations rebuild the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # The engine's explicit BEGIN (database.py) makes SQLite's DDL transactional too.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_from_environment() -> None:
    url = os.environ.get("KEEL_DATABASE_URL")
    if not url:
        example = "sqlite:///keel.db"
        raise SystemExit(
            f"set KEEL_DATABASE_URL to the database to migrate, e.g. {example}",
        )
    # One connection for one command: a pool would only keep it open after Alembic is done.
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        run_migrations(connection)


if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

connection = context.config.attributes.get("connection")
if connection is None:
    run_migrations_from_environment()
else:
    run_migrations(connection)

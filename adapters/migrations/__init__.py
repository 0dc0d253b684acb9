"""The schema's history as Alembic revisions, applied from code: no alembic.ini at run time."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from adapters.kit.sqlalchemy.database import storage_errors

SCRIPT_LOCATION = Path(__file__).parent


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the revisions up to `revision` (by default the newest), all or nothing."""
    with storage_errors(), engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the revisions down to `revision` ("base" drops every table), all or nothing."""
    with storage_errors(), engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def _config(connection: Connection) -> Config:
    if connection.dialect.name == "postgresql":
        # A migration may rewrite a large table: the requests' statement timeout is not its.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # env.py migrates on this connection, so the caller's transaction holds every revision.
    config.attributes["connection"] = connection
    return config

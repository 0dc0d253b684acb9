"""The backends a run measures, each on a database of its own: throwaway PostgreSQL databases
(created and dropped through an admin URL), SQLite files in a temporary directory, and fresh
in-memory databases. Each comes wired by the service's container, with the raw driver
beside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
from sqlalchemy import Engine

from adapters.kit.sqlalchemy.database import create_schema
from bench.drivers import RawPostgres, RawSqlite
from bootstrap import Container, build_container
from settings import Settings

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# The real argon2id hasher at its cheapest cost, so that hashing hardly weighs on the figures.
ARGON2_TIME_COST, ARGON2_MEMORY_COST_KIB, ARGON2_PARALLELISM = 1, 8, 1


@dataclass
class Backend:
    """The service wired to one database, and that database reached by hand (None for memory)."""

    name: str
    container: Container
    raw: RawPostgres | RawSqlite | None

    @property
    def engine(self) -> Engine:
        engine: Engine = self.container.engine()
        return engine

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()
            self.engine.dispose()


def memory_backend() -> Backend:
    return Backend("memory", _container("memory://"), raw=None)


def sqlite_backend(path: Path) -> Backend:
    backend = Backend("sqlite", _container(f"sqlite:///{path}"), RawSqlite(str(path)))
    create_schema(backend.engine)
    return backend


def postgres_backend(url: str) -> Backend:
    container = _container(url)
    create_schema(container.engine())
    conninfo = sqlalchemy.make_url(url).set(drivername="postgresql")
    return Backend("postgres", container, RawPostgres(conninfo.render_as_string(False)))


def _container(database_url: str) -> Container:
    settings = Settings(
        database_url=database_url,
        email_sender="recording",
        argon2_time_cost=ARGON2_TIME_COST,
        argon2_memory_cost_kib=ARGON2_MEMORY_COST_KIB,
        argon2_parallelism=ARGON2_PARALLELISM,
    )
    return build_container(settings)


class PostgresServer:
    """Creates throwaway databases, named after the process and purpose, and drops them all."""

    def __init__(self, admin_url: str) -> None:
        self._admin = sqlalchemy.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        self._databases: list[str] = []

    def check(self) -> None:
        """Raises sqlalchemy.exc.OperationalError if the server cannot be reached."""
        with self._admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def create_database(self, purpose: str) -> str:
        name = f"keel_bench_{os.getpid()}_{purpose}"
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self._admin.url.set(database=name).render_as_string(hide_password=False)

    def drop_databases(self) -> None:
        with self._admin.connect() as connection:
            for name in self._databases:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()

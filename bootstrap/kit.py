"""The kit's providers: settings, the engines, telemetry, the unit of work, the clock, and
the health check. Each feature's container extends this one."""

from __future__ import annotations

from typing import Any, TypeVar

from dependency_injector import containers, providers
from pydantic import SecretStr
from sqlalchemy.pool import NullPool

from adapters.kit.clock import SystemClock
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.telemetry import Telemetry, Traceable, exporting_to, trace_statements, traced
from adapters.unit_of_work import InMemoryUnitOfWork, ServiceUnitOfWork, SqlAlchemyUnitOfWork
from application.kit.health import CheckHealth
from settings import Settings

T = TypeVar("T", bound=Traceable)


class UseCaseFactory(providers.Factory[T]):
    """A use case's provider: each `execute` of what it builds runs in a span named after the
    use case while telemetry is on (build_container hands it the container's telemetry)."""

    telemetry: providers.Provider[Telemetry | None] = providers.Object(None)

    # No use case is async: the awaitable overload of the provider's __call__ is not needed.
    def __call__(self, *args: Any, **kwargs: Any) -> T:  # type: ignore[override]
        return traced(super().__call__(*args, **kwargs), self.telemetry())


class KitContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    config = providers.Configuration(strict=True)  # the settings, as the providers read them

    # The URLs are secrets (they may hold a password): revealed only to what connects.
    database_url = providers.Callable(SecretStr.get_secret_value, config.database_url)
    engine = providers.Singleton(
        create_engine,
        database_url,
        statement_timeout=config.database_statement_timeout_seconds,
        pool_size=config.database_pool_size,
        max_overflow=config.database_max_overflow,
        pool_timeout=config.database_pool_timeout_seconds,
        pool_pre_ping=config.database_pool_pre_ping,
    )
    # Migrations have no statement timeout: building an index or rewriting a large table may
    # rightly take longer than any request should. One connection, held for the run.
    migration_engine = providers.Singleton(create_engine, database_url, poolclass=NullPool)
    telemetry: providers.Provider[Telemetry | None] = providers.Selector(
        config.telemetry,
        off=providers.Object(None),
        console=providers.Singleton(exporting_to, "console"),
        otlp=providers.Singleton(exporting_to, "otlp"),
    )
    traced_engine = providers.Singleton(trace_statements, engine, telemetry)
    memory_database = providers.Singleton(
        InMemoryDatabase, lock_timeout=config.database_statement_timeout_seconds
    )
    unit_of_work: providers.Provider[ServiceUnitOfWork] = providers.Selector(
        config.backend,
        memory=providers.Singleton(InMemoryUnitOfWork, memory_database),
        sqlalchemy=providers.Singleton(SqlAlchemyUnitOfWork, traced_engine),
    )
    clock = providers.Singleton(SystemClock)
    check_health = UseCaseFactory(CheckHealth, uow=unit_of_work)

"""The composition root: which adapter serves each port, wired from the settings.

The only module that picks adapters; the settings themselves are in settings.py. Every use
case is provided by a UseCaseFactory, so that telemetry, when on, traces each `execute`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from dependency_injector import containers, providers
from pydantic import SecretStr
from sqlalchemy.pool import NullPool

from adapters.kit.clock import SystemClock
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.telemetry import Telemetry, Traceable, exporting_to, trace_statements, traced
from adapters.outbox.email import ConsoleEmailSender, RecordingEmailSender, SmtpEmailSender
from adapters.outbox.telemetry import monitor_relay
from adapters.passwords import Argon2PasswordHasher, BoundedPasswordHasher
from adapters.rate_limits import RateLimiter
from adapters.unit_of_work import InMemoryUnitOfWork, ServiceUnitOfWork, SqlAlchemyUnitOfWork
from application.accounts.use_cases import (
    ChangeAccountName,
    CreateAccount,
    GetAccount,
    GetUser,
    InviteMember,
    RegisterAccount,
)
from application.kit.health import CheckHealth
from application.outbox.ports import EmailSender
from application.outbox.relay import NotificationRelay, RetryPolicy
from application.outbox.use_cases import GetOutboxStatus, RetryDeadNotification
from application.welcome import QueueWelcomeEmail
from settings import Settings

T = TypeVar("T", bound=Traceable)


class UseCaseFactory(providers.Factory[T]):
    """A use case's provider: each `execute` of what it builds runs in a span named after the
    use case while telemetry is on (build_container hands it the container's telemetry)."""

    telemetry: providers.Provider[Telemetry | None] = providers.Object(None)

    # No use case is async: the awaitable overload of the provider's __call__ is not needed.
    def __call__(self, *args: Any, **kwargs: Any) -> T:  # type: ignore[override]
        return traced(super().__call__(*args, **kwargs), self.telemetry())


class Container(containers.DeclarativeContainer):
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

    # >>> example
    argon2 = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=config.argon2_time_cost,
        memory_cost_kib=config.argon2_memory_cost_kib,
        parallelism=config.argon2_parallelism,
    )
    password_hasher = providers.Singleton(
        BoundedPasswordHasher,
        argon2,
        concurrency=config.password_hashing_concurrency,
        max_waiting=config.password_hashing_queue,
    )
    rate_limit_storage_url = providers.Callable(
        SecretStr.get_secret_value, config.rate_limit_storage_url
    )
    registration_rate_limiter = providers.Singleton(
        RateLimiter, limit=config.registration_rate_limit, storage_url=rate_limit_storage_url
    )
    create_account = UseCaseFactory(
        CreateAccount, uow=unit_of_work, password_hasher=password_hasher
    )
    # >>> outbox
    queue_welcome_email = UseCaseFactory(QueueWelcomeEmail, uow=unit_of_work, clock=clock)
    # <<< outbox
    registration_follow_ups = providers.List(
        # >>> outbox
        queue_welcome_email,
        # <<< outbox
    )
    register_account = UseCaseFactory(
        RegisterAccount,
        uow=unit_of_work,
        create_account=create_account,
        follow_ups=registration_follow_ups,
    )
    change_account_name = UseCaseFactory(ChangeAccountName, uow=unit_of_work)
    invite_member = UseCaseFactory(InviteMember, uow=unit_of_work)
    get_account = UseCaseFactory(GetAccount, uow=unit_of_work)
    get_user = UseCaseFactory(GetUser, uow=unit_of_work)
    # <<< example

    # >>> outbox
    email_sender: providers.Provider[EmailSender] = providers.Selector(
        config.email_sender,
        console=providers.Singleton(ConsoleEmailSender),
        recording=providers.Singleton(RecordingEmailSender),
        smtp=providers.Singleton(
            SmtpEmailSender,
            host=config.smtp_host,
            port=config.smtp_port,
            security=config.smtp_security,
            sender=config.email_from,
            username=config.smtp_username,
            password=config.smtp_password,
            ca_file=config.smtp_ca_file,
        ),
    )
    get_outbox_status = UseCaseFactory(GetOutboxStatus, uow=unit_of_work)
    retry_dead_notification = UseCaseFactory(RetryDeadNotification, uow=unit_of_work, clock=clock)
    retry_policy = providers.Factory(
        RetryPolicy,
        max_attempts=config.relay_max_attempts,
        base_delay=config.relay_base_delay,
        max_delay=config.relay_max_delay,
    )
    relay_monitor = providers.Singleton(monitor_relay, telemetry, unit_of_work)
    relay = providers.Factory(
        NotificationRelay,
        uow=unit_of_work,
        email_sender=email_sender,
        clock=clock,
        policy=retry_policy,
        batch_size=config.relay_batch_size,
        lease=config.relay_lease,
        monitor=relay_monitor,
    )
    # <<< outbox


def build_container(settings: Settings | None = None) -> Container:
    """A container wired from settings (by default, from the environment)."""
    settings = settings or Settings()
    container = Container()
    container.settings.set_default(settings)
    container.config.from_dict(settings.model_dump())
    for use_case in container.traverse(types=[UseCaseFactory]):
        use_case.telemetry = container.telemetry
    return container

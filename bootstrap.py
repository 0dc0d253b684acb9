"""The composition root: settings, and the container that wires adapters to ports.

This is the only module that knows which adapter implements which port.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal

import limits
import sqlalchemy
from dependency_injector import containers, providers
from pydantic import (
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from adapters.clock import SystemClock
from adapters.email import ConsoleEmailSender, RecordingEmailSender, SmtpEmailSender
from adapters.memory.database import InMemoryDatabase
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.passwords import Argon2PasswordHasher, BoundedPasswordHasher
from adapters.rate_limits import RateLimiter
from adapters.sqlalchemy.database import create_engine
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.telemetry import exporting_to, monitor_relay, trace_statements, traced
from application.accounts import ChangeAccountName, CreateAccount, InviteMember, RegisterAccount
from application.health import CheckHealth
from application.notifications import QueueWelcomeEmail
from application.outbox import GetOutboxStatus, RetryDeadNotification
from application.queries import GetAccount, GetUser
from application.relay import NotificationRelay, RetryPolicy


class Settings(BaseSettings):
    """Read from the environment with the prefix KEEL_, e.g. database_url from
    KEEL_DATABASE_URL."""

    # A refused value is never quoted back: it may be a URL with a password in it.
    model_config = SettingsConfigDict(env_prefix="KEEL_", hide_input_in_errors=True)

    # Secret: it may hold the database's password, so reprs and logs show it masked.
    database_url: SecretStr = SecretStr("sqlite:///keel.db")
    # The SQL backends' pool: connections kept, extra ones allowed under load, and how long
    # a request waits for one before it is answered 503.
    database_pool_size: PositiveInt = 5
    database_max_overflow: NonNegativeInt = 10
    database_pool_timeout_seconds: PositiveFloat = 10.0
    # Checks a pooled connection before use: one the server dropped costs a request nothing.
    database_pool_pre_ping: bool = True
    # The longest one wait of the database may last: a PostgreSQL statement or connection
    # attempt, SQLite's wait for the write lock, the memory backend's for a row lock.
    database_statement_timeout_seconds: PositiveFloat = 10.0
    # Threads that run the HTTP routes that do I/O (anyio's limiter, 40 unless set). By
    # default one per connection the pool can open: a request then waits for a thread or not
    # at all, never for a thread and then again for a connection, which could time out.
    http_threads: PositiveInt | None = None
    log_format: Literal["human", "json"] = "human"
    # Traces and metrics: off, printed to stdout, or sent over OTLP/HTTP to the collector that
    # the standard OTEL_EXPORTER_OTLP_ENDPOINT names.
    telemetry: Literal["off", "console", "otlp"] = "off"
    # >>> outbox
    email_sender: Literal["console", "smtp", "recording"] = "console"
    email_from: str = "keel@example.com"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: str | None = None
    relay_max_attempts: PositiveInt = 5
    relay_base_delay_seconds: PositiveFloat = 30.0
    relay_max_delay_seconds: PositiveFloat = 3600.0
    relay_batch_size: PositiveInt = 100
    # A relay starts a send only while half its lease remains: keep a batch's sends well
    # within half of it.
    relay_lease_seconds: PositiveFloat = 300.0
    relay_poll_seconds: PositiveFloat = 1.0
    # <<< outbox
    # >>> example
    # OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    argon2_time_cost: PositiveInt = 2
    argon2_memory_cost_kib: PositiveInt = 19 * 1024
    argon2_parallelism: PositiveInt = 1
    # Hashes computed at once, each on a thread of its own and taking the argon2 memory cost
    # (19 MiB by default): by default one per core but one, which stays free to serve requests;
    # and how many more may wait for a turn before the answer is 503.
    password_hashing_concurrency: PositiveInt = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 1) - 1)
    )
    password_hashing_queue: NonNegativeInt = 64
    # <<< example
    # HTTP: the largest request body (413 beyond), and whether /docs, /redoc and
    # /openapi.json are served.
    http_max_body_bytes: PositiveInt = 64 * 1024
    http_docs: bool = True
    # >>> example
    # POST /accounts per client address (the notation of `limits`: "10/minute", "50/hour"),
    # counted in memory:// (this process) or redis://HOST:PORT/DB (every process).
    rate_limit_enabled: bool = True
    registration_rate_limit: str = "10/minute"
    rate_limit_storage_url: SecretStr = SecretStr("memory://")
    # <<< example

    @computed_field  # type: ignore[prop-decorator]
    @property
    def backend(self) -> Literal["memory", "sqlalchemy"]:
        return "memory" if self.database_url.get_secret_value() == "memory://" else "sqlalchemy"

    @field_validator("database_url")
    @classmethod
    def _names_a_database_keel_can_reach(cls, url: SecretStr) -> SecretStr:
        if url.get_secret_value() == "memory://":
            return url
        try:
            sqlalchemy.make_url(url.get_secret_value()).get_dialect().import_dbapi()
        except (ArgumentError, ImportError):
            raise ValueError(
                "not a database URL keel can use: memory://, sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST:PORT/DATABASE"
            ) from None
        return url

    # >>> example
    @field_validator("registration_rate_limit")
    @classmethod
    def _in_the_notation_of_limits(cls, limit: str) -> str:
        try:
            limits.parse(limit)
        except ValueError:
            raise ValueError('a rate such as "10/minute" or "50 per hour"') from None
        return limit

    # <<< example

    @model_validator(mode="after")
    def _a_thread_per_connection_unless_told(self) -> Settings:
        if self.http_threads is None:
            self.http_threads = self.database_pool_size + self.database_max_overflow
        return self

    # >>> outbox
    @model_validator(mode="after")
    def _smtp_credentials_travel_encrypted(self) -> Settings:
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError("SMTP_USERNAME needs SMTP_SECURITY starttls or tls")
        return self

    # <<< outbox


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # The URL is a secret (it may hold a password): revealed only to the engines.
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
    telemetry = providers.Selector(
        config.telemetry,
        off=providers.Object(None),
        console=providers.Singleton(exporting_to, "console"),
        otlp=providers.Singleton(exporting_to, "otlp"),
    )
    unit_of_work = providers.Selector(
        config.backend,
        memory=providers.Singleton(
            InMemoryUnitOfWork,
            providers.Singleton(
                InMemoryDatabase, lock_timeout=config.database_statement_timeout_seconds
            ),
        ),
        sqlalchemy=providers.Singleton(
            SqlAlchemyUnitOfWork, providers.Singleton(trace_statements, engine, telemetry)
        ),
    )
    # >>> example
    password_hasher = providers.Singleton(
        BoundedPasswordHasher,
        providers.Singleton(
            Argon2PasswordHasher,
            time_cost=config.argon2_time_cost,
            memory_cost_kib=config.argon2_memory_cost_kib,
            parallelism=config.argon2_parallelism,
        ),
        concurrency=config.password_hashing_concurrency,
        max_waiting=config.password_hashing_queue,
    )
    registration_rate_limiter = providers.Singleton(
        RateLimiter,
        limit=config.registration_rate_limit,
        storage_url=providers.Callable(SecretStr.get_secret_value, config.rate_limit_storage_url),
    )
    # <<< example
    # >>> outbox
    email_sender = providers.Selector(
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
    # <<< outbox
    clock = providers.Singleton(SystemClock)

    # Each use case in a span named after it when telemetry is on; as it is when off.
    # >>> example
    create_account = providers.Factory(
        traced,
        providers.Factory(CreateAccount, uow=unit_of_work, password_hasher=password_hasher),
        telemetry,
    )
    # >>> outbox
    queue_welcome_email = providers.Factory(
        traced, providers.Factory(QueueWelcomeEmail, uow=unit_of_work, clock=clock), telemetry
    )
    # <<< outbox
    register_account = providers.Factory(
        traced,
        providers.Factory(
            RegisterAccount,
            uow=unit_of_work,
            create_account=create_account,
            # >>> outbox
            queue_welcome_email=queue_welcome_email,
            # <<< outbox
        ),
        telemetry,
    )
    change_account_name = providers.Factory(
        traced, providers.Factory(ChangeAccountName, uow=unit_of_work), telemetry
    )
    invite_member = providers.Factory(
        traced, providers.Factory(InviteMember, uow=unit_of_work), telemetry
    )
    get_account = providers.Factory(
        traced, providers.Factory(GetAccount, uow=unit_of_work), telemetry
    )
    get_user = providers.Factory(traced, providers.Factory(GetUser, uow=unit_of_work), telemetry)
    # <<< example
    check_health = providers.Factory(
        traced, providers.Factory(CheckHealth, uow=unit_of_work), telemetry
    )

    # >>> outbox
    get_outbox_status = providers.Factory(
        traced, providers.Factory(GetOutboxStatus, uow=unit_of_work), telemetry
    )
    retry_dead_notification = providers.Factory(
        traced,
        providers.Factory(RetryDeadNotification, uow=unit_of_work, clock=clock),
        telemetry,
    )
    relay_monitor = providers.Singleton(monitor_relay, telemetry, unit_of_work)
    relay = providers.Factory(
        NotificationRelay,
        uow=unit_of_work,
        email_sender=email_sender,
        clock=clock,
        policy=providers.Factory(
            RetryPolicy,
            max_attempts=config.relay_max_attempts,
            base_delay=providers.Factory(timedelta, seconds=config.relay_base_delay_seconds),
            max_delay=providers.Factory(timedelta, seconds=config.relay_max_delay_seconds),
        ),
        batch_size=config.relay_batch_size,
        lease=providers.Factory(timedelta, seconds=config.relay_lease_seconds),
        monitor=relay_monitor,
    )
    # <<< outbox


def build_container(settings: Settings | None = None) -> Container:
    """A container wired from settings (by default, from the environment)."""
    container = Container()
    container.config.from_dict((settings or Settings()).model_dump())
    return container

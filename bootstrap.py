"""The composition root: settings, and the container that wires adapters to ports.

This is the only module that knows which adapter implements which port.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from dependency_injector import containers, providers
from pydantic import PositiveFloat, PositiveInt, SecretStr, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.clock import SystemClock
from adapters.email import ConsoleEmailSender, RecordingEmailSender, SmtpEmailSender
from adapters.memory.database import InMemoryDatabase
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.passwords import Argon2PasswordHasher
from adapters.sqlalchemy.database import create_engine
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.accounts import ChangeAccountName, CreateAccount, InviteMember, RegisterAccount
from application.notifications import QueueWelcomeEmail
from application.outbox import GetOutboxStatus, RetryDeadNotification
from application.queries import CheckHealth, GetAccount, GetUser
from application.relay import NotificationRelay, RetryPolicy


class Settings(BaseSettings):
    """Read from the environment with the prefix KEEL_, e.g. KEEL_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="KEEL_")

    database_url: str = "sqlite:///keel.db"
    log_format: Literal["human", "json"] = "human"
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
    # OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    argon2_time_cost: PositiveInt = 2
    argon2_memory_cost_kib: PositiveInt = 19 * 1024
    argon2_parallelism: PositiveInt = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def backend(self) -> Literal["memory", "sqlalchemy"]:
        return "memory" if self.database_url == "memory://" else "sqlalchemy"


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    engine = providers.Singleton(create_engine, config.database_url)
    unit_of_work = providers.Selector(
        config.backend,
        memory=providers.Singleton(InMemoryUnitOfWork, providers.Singleton(InMemoryDatabase)),
        sqlalchemy=providers.Singleton(SqlAlchemyUnitOfWork, engine),
    )
    password_hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=config.argon2_time_cost,
        memory_cost_kib=config.argon2_memory_cost_kib,
        parallelism=config.argon2_parallelism,
    )
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
    clock = providers.Singleton(SystemClock)

    create_account = providers.Factory(
        CreateAccount, uow=unit_of_work, password_hasher=password_hasher
    )
    queue_welcome_email = providers.Factory(QueueWelcomeEmail, uow=unit_of_work, clock=clock)
    register_account = providers.Factory(
        RegisterAccount,
        uow=unit_of_work,
        create_account=create_account,
        queue_welcome_email=queue_welcome_email,
    )
    change_account_name = providers.Factory(ChangeAccountName, uow=unit_of_work)
    invite_member = providers.Factory(InviteMember, uow=unit_of_work)
    get_account = providers.Factory(GetAccount, uow=unit_of_work)
    get_user = providers.Factory(GetUser, uow=unit_of_work)
    check_health = providers.Factory(CheckHealth, uow=unit_of_work)

    get_outbox_status = providers.Factory(GetOutboxStatus, uow=unit_of_work)
    retry_dead_notification = providers.Factory(
        RetryDeadNotification, uow=unit_of_work, clock=clock
    )
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
    )


def build_container(settings: Settings | None = None) -> Container:
    """A container wired from settings (by default, from the environment)."""
    container = Container()
    container.config.from_dict((settings or Settings()).model_dump())
    return container

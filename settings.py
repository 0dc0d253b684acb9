"""The settings, one group of fields per concern; `Settings` is all of them at once.

Each is read from the environment variable of its name with the prefix, e.g. `database_url`
from KEEL_DATABASE_URL.

A refused value is never quoted back in an error: it may be a URL with a password in it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal

import limits
import sqlalchemy
from pydantic import (
    BaseModel,
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


class DatabaseSettings(BaseModel):
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


class HttpSettings(BaseModel):
    # Threads that run the HTTP routes that do I/O (anyio's limiter, 40 unless set). By
    # default one per connection the pool can open: a request then waits for a thread or not
    # at all, never for a thread and then again for a connection, which could time out.
    http_threads: PositiveInt | None = None
    # The largest request body (413 beyond), and whether /docs, /redoc and /openapi.json are
    # served.
    http_max_body_bytes: PositiveInt = 64 * 1024
    http_docs: bool = True


class TelemetrySettings(BaseModel):
    log_format: Literal["human", "json"] = "human"
    # Traces and metrics: off, printed to stdout, or sent over OTLP/HTTP to the collector that
    # the standard OTEL_EXPORTER_OTLP_ENDPOINT names.
    telemetry: Literal["off", "console", "otlp"] = "off"


# >>> outbox
class OutboxSettings(BaseModel):
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def relay_base_delay(self) -> timedelta:
        return timedelta(seconds=self.relay_base_delay_seconds)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def relay_max_delay(self) -> timedelta:
        return timedelta(seconds=self.relay_max_delay_seconds)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def relay_lease(self) -> timedelta:
        return timedelta(seconds=self.relay_lease_seconds)

    @model_validator(mode="after")
    def _smtp_credentials_travel_encrypted(self) -> OutboxSettings:
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError("SMTP_USERNAME needs SMTP_SECURITY starttls or tls")
        return self


# <<< outbox
# >>> example
class RegistrationSettings(BaseModel):
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
    # POST /accounts per client address (the notation of `limits`: "10/minute", "50/hour"),
    # counted in memory:// (this process) or redis://HOST:PORT/DB (every process).
    rate_limit_enabled: bool = True
    registration_rate_limit: str = "10/minute"
    rate_limit_storage_url: SecretStr = SecretStr("memory://")

    @field_validator("registration_rate_limit")
    @classmethod
    def _in_the_notation_of_limits(cls, limit: str) -> str:
        try:
            limits.parse(limit)
        except ValueError:
            raise ValueError('a rate such as "10/minute" or "50 per hour"') from None
        return limit


# <<< example


class Settings(
    DatabaseSettings,
    HttpSettings,
    TelemetrySettings,
    # >>> outbox
    OutboxSettings,
    # <<< outbox
    # >>> example
    RegistrationSettings,
    # <<< example
    BaseSettings,
):
    model_config = SettingsConfigDict(env_prefix="KEEL_", hide_input_in_errors=True)

    @property
    def http_thread_limit(self) -> int:
        """http_threads, else one per connection the pool can open."""
        return self.http_threads or self.database_pool_size + self.database_max_overflow

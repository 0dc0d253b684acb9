"""The composition root: settings pick the adapters, and bad settings are refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.pool import QueuePool

from adapters.unit_of_work import InMemoryUnitOfWork, SqlAlchemyUnitOfWork
from bootstrap import build_container
from settings import Settings


@pytest.mark.parametrize(
    ("url", "unit_of_work"),
    [
        ("memory://", InMemoryUnitOfWork),
        ("sqlite:///keel.db", SqlAlchemyUnitOfWork),
    ],
)
def test_the_database_url_picks_the_unit_of_work(url: str, unit_of_work: type) -> None:
    container = build_container(Settings(database_url=url))

    assert isinstance(container.unit_of_work(), unit_of_work)
    assert container.unit_of_work() is container.unit_of_work()  # one, shared: it nests


@pytest.mark.parametrize(
    "name", ["database_pool_size", "database_statement_timeout_seconds", "http_max_body_bytes"]
)
def test_a_setting_that_must_be_positive_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings.model_validate({name: 0})


def test_the_database_url_is_a_secret_that_no_repr_of_the_settings_shows() -> None:
    url = "postgresql+psycopg://keel:hunter2@db.internal/keel"
    settings = Settings(database_url=url)

    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    assert settings.backend == "sqlalchemy"


def test_the_engine_takes_its_pool_and_pre_ping_from_the_settings() -> None:
    settings = Settings(
        database_url="sqlite:///keel.db",
        database_pool_size=3,
        database_max_overflow=1,
        database_pool_timeout_seconds=2.5,
        database_pool_pre_ping=False,
    )

    pool = build_container(settings).engine().pool

    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._pre_ping) == (3, 1, 2.5, False)


def test_by_default_there_is_a_request_thread_per_connection_the_pool_can_open() -> None:
    settings = Settings(database_pool_size=4, database_max_overflow=2)

    assert settings.http_thread_limit == 6
    assert Settings(http_threads=40).http_thread_limit == 40


def test_the_served_app_runs_its_routes_on_as_many_threads_as_the_settings_say() -> None:
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from entrypoints.http.app import create_app

    container = build_container(Settings(database_url="memory://", http_threads=7))

    with TestClient(create_app(container)) as client:
        assert client.portal is not None
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)

    assert limiter.total_tokens == 7


def test_telemetry_is_off_unless_the_settings_turn_it_on() -> None:
    assert build_container(Settings(database_url="memory://")).telemetry() is None
    assert Settings(telemetry="otlp").telemetry == "otlp"

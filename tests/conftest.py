"""One suite, three backends: every test that takes `backend` (the application wired by its
container) or `uow` (a unit of work with the test-only widgets) runs on memory, SQLite and
PostgreSQL. PostgreSQL is read from KEEL_TEST_POSTGRES_URL; without it the suite
starts a throwaway server of its own (tests/postgres_server.py). If that cannot start, those
tests are skipped with the reason, except under CI=true, where a missing PostgreSQL fails
the run."""

from __future__ import annotations

import gc
import io
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
from dependency_injector import providers
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from adapters.kit.clock import ManualClock
from adapters.kit.memory.database import InMemoryDatabase
from adapters.kit.sqlalchemy.database import SqlRows, create_engine, create_schema
from adapters.unit_of_work import schema
from bootstrap import build_container
from entrypoints.http.app import create_app
from entrypoints.logs import LogFormat, ServiceLogHandler, configure_logging
from tests.kit.widgets import (
    WidgetBackend,
    WidgetUnitOfWork,
    widget_metadata,
    widgets,
)
from tests.postgres_server import session_fixture
from tests.support import (
    BACKENDS,
    SQL_BACKENDS,
    THROWAWAY_POSTGRES,
    Backend,
    Logged,
    backend_for,
    empty,
    postgres_url,
    settings_for,
    test_settings,
)
from tests.telemetry_support import Traced, traced

# A test that takes one of these is SQL by nature, and says so with the `sql` marker.
SQL_FIXTURES = {"sqlite_engine", "postgres_engine", "sqlite_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if SQL_FIXTURES & set(getattr(item, "fixturenames", ()))
        and not item.get_closest_marker("sql")
    ]
    if unmarked:
        raise pytest.UsageError(f"tests that take a SQL fixture without the sql marker: {unmarked}")


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is alive once the tests are collected (modules, classes, the collected tests) lives
    # as long as the session: out of the collector's sight, a full collection during a test
    # scans only what tests made, not every object the imports left (up to 100 ms each).
    gc.freeze()


def _prepared(engine: Engine) -> Engine:
    # The application's tables, and the test-only ones the engine's own tests use.
    for tables in (widget_metadata, schema()):
        tables.drop_all(engine)
    for tables in (schema(), widget_metadata):
        create_schema(engine, tables)
    return engine


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("sqlite") / "keel.db"
    engine = _prepared(create_engine(f"sqlite:///{path}"))
    yield engine
    engine.dispose()


throwaway_postgres = session_fixture(THROWAWAY_POSTGRES)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    engine = _prepared(create_engine(postgres_url()))
    yield engine
    engine.dispose()


# Each backend wired once for the session; tests take `backend` (or call backend_for), which
# resets it first.
@pytest.fixture(scope="session")
def memory_backend() -> Backend:
    return Backend.wired("memory", settings_for("memory://"))


@pytest.fixture(scope="session")
def sqlite_backend(sqlite_engine: Engine) -> Backend:
    return Backend.wired("sqlite", settings_for(_url(sqlite_engine)), sqlite_engine)


@pytest.fixture(scope="session")
def postgres_backend(postgres_engine: Engine) -> Backend:
    return Backend.wired("postgres", settings_for(_url(postgres_engine)), postgres_engine)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return backend_for(request.param, request)


@pytest.fixture(params=BACKENDS)
def widget_backend(request: pytest.FixtureRequest) -> WidgetBackend:
    if request.param == "memory":
        database = InMemoryDatabase()
        memory = WidgetUnitOfWork(database.begin)
        return WidgetBackend("memory", memory, lambda: len(database.committed("widgets")))
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    empty(engine, widget_metadata)

    def count() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(widgets)).scalar_one()

    return WidgetBackend(request.param, WidgetUnitOfWork(partial(SqlRows, engine)), count)


@pytest.fixture
def uow(widget_backend: WidgetBackend) -> WidgetUnitOfWork:
    """A unit of work with the test-only widgets: what the engine's own tests use."""
    return widget_backend.uow


@pytest.fixture
def traced_backend(backend: Backend) -> Iterator[Traced]:
    """The backend, its container reporting to in-memory telemetry."""
    yield from traced(backend)


@pytest.fixture(params=SQL_BACKENDS)
def traced_sql_backend(request: pytest.FixtureRequest) -> Iterator[Traced]:
    yield from traced(backend_for(request.param, request))


@pytest.fixture
def logged() -> Iterator[Logged]:
    def configure(log_format: LogFormat) -> io.StringIO:
        lines = io.StringIO()
        configure_logging(log_format, stream=lines)
        return lines

    yield configure
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
        root.removeHandler(handler)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file that the CLI and `alembic` find through the environment (DATABASE_URL),
    with the settings every feature's tests change."""
    url = f"sqlite:///{tmp_path / 'keel.db'}"
    monkeypatch.setenv("KEEL_DATABASE_URL", url)
    for name, value in test_settings().items():
        monkeypatch.setenv(f"KEEL_{name.upper()}", str(value))
    return url


@pytest.fixture
def database(sqlite_url: str) -> str:
    """sqlite_url, its schema created: what a CLI test runs a command on."""
    engine = create_engine(sqlite_url)
    create_schema(engine)
    engine.dispose()
    return sqlite_url


# The HTTP tests of every feature: `client` on memory for a route's mapping of input, answers
# and errors (the same on every backend), `client_on_each_backend` for what a backend could
# change.
@pytest.fixture(scope="module")
def app() -> FastAPI:
    """One app for the module, pointed at each test's container in turn (the routes read
    `app.state.container`): an app of its own cost a test more than the test itself, as
    FastAPI builds its middleware stack on the first request and its OpenAPI schema on the
    first read."""
    return create_app(build_container(settings_for("memory://")))


@pytest.fixture(scope="module")
def raising_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, raising_client: TestClient, request: pytest.FixtureRequest) -> TestClient:
    """The app on the memory backend: how a route maps input, answers and errors is the same
    on every backend, so it is tested once."""
    app.state.container = backend_for("memory", request).container
    return raising_client


@pytest.fixture
def client_on_each_backend(
    app: FastAPI, raising_client: TestClient, backend: Backend
) -> TestClient:
    """The app on each backend, for what a backend could change: its rows, its constraints
    and its errors reaching HTTP."""
    app.state.container = backend.container
    return raising_client


@pytest.fixture
def clock(backend: Backend) -> ManualClock:
    """A clock the test moves, wired into the backend's container."""
    # Microseconds and an offset other than UTC: stored times (a lease, say) must survive both
    # on every backend.
    clock = ManualClock(
        datetime(2026, 5, 4, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    )
    backend.container.clock.override(providers.Object(clock))
    return clock

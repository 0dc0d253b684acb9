"""Health: readiness reads the database, liveness touches nothing and never waits for a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager

import anyio.to_thread
import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient

from entrypoints.http.app import create_app
from tests.support import Backend

INTERNALS = "connection to db.internal:5432 failed for role service_admin"


class UnreachableDatabase:
    """A unit of work whose database refuses every connection."""

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        raise ConnectionRefusedError(INTERNALS)


class DatabaseThatWaits:
    """A unit of work whose transactions begin only once released: a readiness check stuck
    in its thread for as long as a test needs."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        self.started.set()
        self.release.wait(10)
        self.finished.set()
        raise ConnectionRefusedError(INTERNALS)


@pytest.fixture
def client(backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(backend.container)) as client:
        yield client


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_readiness_answers_200_when_the_database_answers_a_read(
    client: TestClient, method: str
) -> None:
    response = client.request(method, "/health")

    assert response.status_code == 200


def test_readiness_answers_503_without_internals_when_the_database_does_not_answer(
    client: TestClient, backend: Backend
) -> None:
    backend.container.unit_of_work.override(providers.Object(UnreachableDatabase()))

    response = client.get("/health")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    assert INTERNALS not in response.text


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_liveness_answers_200_even_when_the_database_does_not_answer(
    client: TestClient, backend: Backend, method: str
) -> None:
    backend.container.unit_of_work.override(providers.Object(UnreachableDatabase()))

    response = client.request(method, "/health/live")

    assert response.status_code == 200


def test_liveness_answers_while_every_worker_thread_is_busy(backend: Backend) -> None:
    database = DatabaseThatWaits()
    backend.container.unit_of_work.override(providers.Object(database))

    with TestClient(create_app(backend.container)) as client:
        # One worker thread for the whole app, and a readiness check that holds it.
        assert client.portal is not None
        client.portal.call(_limit_worker_threads_to_one)
        checking = threading.Thread(target=client.get, args=("/health",))
        checking.start()
        database.started.wait(10)

        response = client.get("/health/live")
        answered_while_busy = not database.finished.is_set()
        database.release.set()
        checking.join()

    assert (response.status_code, answered_while_busy) == (200, True)


def _limit_worker_threads_to_one() -> None:
    anyio.to_thread.current_default_thread_limiter().total_tokens = 1

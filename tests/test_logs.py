"""Every HTTP request has an id, echoed in its response and carried by each of its log lines;
logs are human-readable lines or JSON objects, and never hold a password or its hash."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient

from bootstrap import build_container
from entrypoints.http.app import create_app
from tests.support import Logged, settings_for


class UnreachableDatabase:
    """A unit of work whose database refuses every connection: a readiness check logs it."""

    def transaction(self, durable: bool = False) -> AbstractContextManager[None]:
        raise ConnectionRefusedError("database unreachable")


@pytest.fixture
def client() -> Iterator[TestClient]:
    container = build_container(settings_for("memory://"))
    container.unit_of_work.override(providers.Object(UnreachableDatabase()))
    with TestClient(create_app(container)) as client:
        yield client


def test_a_request_without_an_id_gets_one_in_its_response(client: TestClient) -> None:
    response = client.get("/health")

    assert uuid.UUID(response.headers["X-Request-ID"])


def test_a_well_formed_request_id_is_kept_and_echoed(client: TestClient) -> None:
    request_id = uuid.uuid4().hex

    response = client.get("/health", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] == request_id


def test_a_malformed_request_id_is_replaced_by_a_new_one(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "'; DROP TABLE users; --"})

    assert uuid.UUID(response.headers["X-Request-ID"])


def test_each_log_line_of_a_request_carries_its_id(client: TestClient, logged: Logged) -> None:
    lines = logged("human")
    request_id = uuid.uuid4().hex

    client.get("/health", headers={"X-Request-ID": request_id})

    failed = [line for line in lines.getvalue().splitlines() if "health check failed" in line]
    assert failed
    assert all(f"[{request_id}]" in line for line in failed)


def test_json_logs_are_one_object_per_line_with_the_request_id(
    client: TestClient, logged: Logged
) -> None:
    lines = logged("json")
    request_id = uuid.uuid4().hex

    client.get("/health", headers={"X-Request-ID": request_id})

    records = [json.loads(line) for line in lines.getvalue().splitlines() if line.startswith("{")]
    failed = [r for r in records if "health check failed" in r["message"]]
    assert [r["request_id"] for r in failed] == [request_id]
    assert failed[0]["level"] == "ERROR"


def test_a_log_line_outside_a_request_says_so(logged: Logged) -> None:
    lines = logged("human")

    logging.getLogger("keel.test").warning("nothing to do")

    assert "[-] keel.test: nothing to do" in lines.getvalue()

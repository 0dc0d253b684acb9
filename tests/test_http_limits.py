"""What the registration route bounds: the password hashes in flight (503 at once past them)
and each client's registrations (429). Bodies and 422s are bounded for every route
(test_http_answers.py)."""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import pytest
import redis
from dependency_injector import providers
from fastapi.testclient import TestClient

from adapters.passwords import BoundedPasswordHasher
from application.kit.errors import Overloaded
from bootstrap import Container, build_container
from entrypoints.http.app import create_app
from settings import Settings
from tests.accounts_support import CHEAP_HASHING, registration_body

REDIS_URL = os.environ.get("KEEL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def container(**settings: Any) -> Container:
    """The application on the memory backend: what it bounds does not depend on storage."""
    return build_container(Settings(database_url="memory://", **CHEAP_HASHING, **settings))


class HasherThatWaits:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def hash(self, password: str) -> str:
        self.started.set()
        self.release.wait(10)
        return "$argon2id$stand-in"

    def verify(self, password_hash: str, password: str) -> bool:
        return False


def test_a_caller_past_the_hashing_queue_is_refused_at_once_and_a_waiting_one_is_served() -> None:
    inner = HasherThatWaits()
    bounded = BoundedPasswordHasher(inner, concurrency=1, max_waiting=0)
    first = threading.Thread(target=bounded.hash, args=("first password",))
    first.start()
    inner.started.wait(10)

    with pytest.raises(Overloaded, match="at capacity"):
        bounded.hash("second password")
    inner.release.set()
    first.join()

    assert bounded.hash("third password") == "$argon2id$stand-in"


def test_registering_while_hashing_is_at_capacity_answers_503_with_retry_after() -> None:
    app = container()
    inner = HasherThatWaits()
    app.password_hasher.override(
        providers.Object(BoundedPasswordHasher(inner, concurrency=1, max_waiting=0))
    )
    with TestClient(create_app(app)) as client:
        first = threading.Thread(
            target=client.post, args=("/accounts",), kwargs={"json": registration_body()}
        )
        first.start()
        inner.started.wait(10)

        refused = client.post("/accounts", json=registration_body("grace@example.com"))
        inner.release.set()
        first.join()

    assert (refused.status_code, refused.headers.get("Retry-After")) == (503, "1")


def test_registrations_past_the_clients_rate_limit_answer_429_with_retry_after() -> None:
    with TestClient(create_app(container(registration_rate_limit="2/minute"))) as client:
        statuses = [
            client.post("/accounts", json=registration_body(f"user{n}@example.com")).status_code
            for n in range(2)
        ]
        refused = client.post("/accounts", json=registration_body("grace@example.com"))

    assert (statuses, refused.status_code) == ([201, 201], 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_the_rate_limit_counts_each_client_on_its_own() -> None:
    app = create_app(container(registration_rate_limit="1/minute"))
    with (
        TestClient(app, client=("10.0.0.1", 5000)) as first,
        TestClient(app, client=("10.0.0.2", 5000)) as second,
    ):
        first.post("/accounts", json=registration_body("ada@example.com"))

        response = second.post("/accounts", json=registration_body("grace@example.com"))

    assert response.status_code == 201


def test_with_the_rate_limit_turned_off_no_registration_is_refused_for_it() -> None:
    settings = {"registration_rate_limit": "1/minute", "rate_limit_enabled": False}
    with TestClient(create_app(container(**settings))) as client:
        statuses = {
            client.post("/accounts", json=registration_body(f"user{n}@example.com")).status_code
            for n in range(3)
        }

    assert statuses == {201}


def redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        reason = f"Redis not reachable at {REDIS_URL}: {type(error).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL


def test_a_rate_limit_stored_in_redis_is_counted_there() -> None:
    url = redis_or_skip()
    app = container(registration_rate_limit="1/minute", rate_limit_storage_url=url)
    limiter = app.registration_rate_limiter()
    client = f"test-{uuid.uuid4()}"  # a key no other run has counted

    first, second = limiter.seconds_to_wait(client), limiter.seconds_to_wait(client)
    again = container(registration_rate_limit="1/minute", rate_limit_storage_url=url)

    assert (first, second > 0) == (0, True)
    assert again.registration_rate_limiter().seconds_to_wait(client) > 0  # another process

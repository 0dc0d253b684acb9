"""A transaction that lost a race to a concurrent update is tried again, a bounded number of
times; nothing else is retried."""

from __future__ import annotations

import pytest

from application.kit.errors import ConcurrentUpdate
from application.kit.retry import retry_on_conflict


class Attempts:
    """Raises the given errors in turn, then answers "done"; counts the calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def conflict() -> ConcurrentUpdate:
    return ConcurrentUpdate("account", "a1", version=1)


def test_an_attempt_that_lost_a_race_is_tried_again_until_it_succeeds() -> None:
    attempt = Attempts(conflict(), conflict())

    assert retry_on_conflict(attempt, attempts=3) == "done"
    assert attempt.calls == 3


def test_after_the_last_attempt_the_concurrent_update_propagates() -> None:
    attempt = Attempts(conflict(), conflict(), conflict())

    with pytest.raises(ConcurrentUpdate):
        retry_on_conflict(attempt, attempts=2)
    assert attempt.calls == 2


def test_any_other_error_is_not_retried() -> None:
    attempt = Attempts(ValueError("bad input"))

    with pytest.raises(ValueError, match="bad input"):
        retry_on_conflict(attempt)
    assert attempt.calls == 1


def test_fewer_than_one_attempt_is_refused_naming_the_value() -> None:
    with pytest.raises(ValueError, match="got 0"):
        retry_on_conflict(Attempts(), attempts=0)

"""Bounded retry of a transaction that lost a race to a concurrent update."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from application.kit.errors import ConcurrentUpdate

ResultT = TypeVar("ResultT")


def retry_on_conflict(attempt: Callable[[], ResultT], attempts: int = 3) -> ResultT:
    """Runs attempt (a whole transaction: it reads again each time) until it does not raise
    ConcurrentUpdate, at most `attempts` times; the last ConcurrentUpdate propagates."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for _ in range(attempts - 1):
        try:
            return attempt()
        except ConcurrentUpdate:
            continue
    return attempt()

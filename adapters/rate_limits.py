"""Rate limits per client with the `limits` library: counted in this process's memory by
default, or in Redis, where every process serving the API shares the count."""

from __future__ import annotations

import logging
import math
import time

import limits
from limits.errors import StorageError as LimitsStorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

# A rate limiter that waits on Redis would make every request wait with it.
_REDIS_TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}


class RateLimiter:
    """At most `limit` requests per key in a moving window, e.g. "10/minute" (the notation
    of `limits`); storage_url is memory:// or redis://HOST:PORT/DB."""

    def __init__(
        self,
        limit: str,
        storage_url: str,
        namespace: str = "keel",
    ) -> None:
        self._limit = limits.parse(limit)
        options = _REDIS_TIMEOUTS if storage_url.startswith(("redis", "rediss")) else {}
        storage = storage_from_string(storage_url, wrap_exceptions=True, **options)
        self._limiter = MovingWindowRateLimiter(storage)
        self._namespace = namespace

    def seconds_to_wait(self, key: str) -> int:
        """Counts one request of key: 0 when it is within the limit, else the whole seconds
        until it would be. A storage that cannot be reached lets the request through: an
        outage of Redis must not become an outage of the service."""
        try:
            if self._limiter.hit(self._limit, self._namespace, key):
                return 0
            reset_at = self._limiter.get_window_stats(self._limit, self._namespace, key).reset_time
        except LimitsStorageError as error:
            logger.warning("rate limit not applied, its storage failed: %s", type(error).__name__)
            return 0
        return max(1, math.ceil(reset_at - time.time()))

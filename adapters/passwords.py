"""Password hashing with argon2id (argon2-cffi), and a pool of threads that bounds how much of
it runs at once.

argon2id takes its whole memory cost (19 MiB by default) for each hash in flight: fifty
concurrent registrations once took a server to 978 MiB and starved every other request of CPU.
A bound on hashes in flight is not enough if any thread may hash: the C allocator keeps freed
memory in an arena per thread, so forty request threads that each hashed once keep forty
blocks of 19 MiB. Hashing on a few threads of its own keeps a few.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2

from application.accounts.ports import PasswordHasher
from application.kit.errors import Overloaded

ResultT = TypeVar("ResultT")


class Argon2PasswordHasher:
    def __init__(self, time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def __repr__(self) -> str:
        return "Argon2PasswordHasher(argon2id)"


class BoundedPasswordHasher:
    """Another hasher, run on a pool of `concurrency` threads, so that memory and CPU stay
    bounded however many requests arrive. Up to `max_waiting` more callers wait for a turn;
    past that a caller is refused at once with Overloaded (HTTP 503), not queued without end.
    """

    def __init__(self, hasher: PasswordHasher, concurrency: int, max_waiting: int) -> None:
        self._hasher = hasher
        self._capacity = concurrency + max_waiting
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="password-hashing")
        self._admitted = threading.BoundedSemaphore(self._capacity)

    def hash(self, password: str) -> str:
        return self._bounded(lambda: self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        return self._bounded(lambda: self._hasher.verify(password_hash, password))

    def _bounded(self, work: Callable[[], ResultT]) -> ResultT:
        if not self._admitted.acquire(blocking=False):
            raise Overloaded(f"password hashing is at capacity ({self._capacity} in flight)")
        try:
            return self._pool.submit(work).result()
        finally:
            self._admitted.release()

    def __repr__(self) -> str:
        return f"BoundedPasswordHasher({self._hasher!r})"

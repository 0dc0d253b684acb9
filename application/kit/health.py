"""The readiness check: whether the service can reach its storage."""

from __future__ import annotations

from application.kit.ports import UnitOfWork


class CheckHealth:
    """Proves that the storage answers: opens a transaction and reads from it.

    Returns when the read succeeded; otherwise raises whatever the storage raised.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self) -> None:
        # Beginning a transaction may not touch the database yet; a query always does.
        with self._uow.transaction():
            self._uow.storage.ping()

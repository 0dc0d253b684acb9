"""The unit of work over the in-memory database: one MemoryTransaction per outermost block."""

from __future__ import annotations

from adapters.memory.database import InMemoryDatabase, MemoryTransaction
from adapters.memory.outbox import InMemoryOutbox
from adapters.repositories import Repositories
from adapters.transactions import TransactionalUnitOfWork, repository


class InMemoryUnitOfWork(Repositories, TransactionalUnitOfWork[MemoryTransaction, int]):
    # >>> outbox
    outbox = repository(InMemoryOutbox)
    # <<< outbox

    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__()
        self.database = database

    def _begin(self) -> MemoryTransaction:
        return self.database.begin()

    def _commit(self, handle: MemoryTransaction) -> None:
        handle.commit()

    def _rollback(self, handle: MemoryTransaction) -> None:
        handle.rollback()

    def _begin_savepoint(self, handle: MemoryTransaction) -> int:
        return handle.savepoint()

    def _release_savepoint(self, handle: MemoryTransaction, savepoint: int) -> None:
        """Nothing to do: the undo log stays, so the outer block can still roll back."""

    def _rollback_savepoint(self, handle: MemoryTransaction, savepoint: int) -> None:
        handle.rollback_to(savepoint)

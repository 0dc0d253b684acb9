"""The unit of work over the in-memory database: one MemoryTransaction per outermost block."""

from __future__ import annotations

from adapters.kit.guard import repository
from adapters.kit.memory.database import InMemoryDatabase, MemoryTransaction
from adapters.kit.transactions import TransactionalUnitOfWork
from adapters.memory.outbox import InMemoryOutbox
from adapters.repositories import Repositories


class InMemoryUnitOfWork(Repositories, TransactionalUnitOfWork[MemoryTransaction]):
    # >>> outbox
    outbox = repository(InMemoryOutbox)
    # <<< outbox

    def __init__(self, database: InMemoryDatabase) -> None:
        super().__init__(database.begin)
        self.database = database

"""Each backend is wired once for the session and reset for every test: what one test did
never reaches the next."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from adapters.kit.clock import ManualClock, SystemClock
from adapters.unit_of_work import metadata
from tests.accounts_support import registration
from tests.outbox_support import queue_emails, recorded
from tests.support import Backend, backend_for


def test_a_reset_backend_keeps_no_row_no_email_no_override_and_its_settings(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    backend.container.clock.override(providers.Object(ManualClock()))
    uow_before = backend.uow
    # >>> example
    backend.container.register_account().execute(registration())
    assert backend.rows("accounts") == 1
    # <<< example
    # >>> outbox
    queue_emails(backend.uow, 1)
    backend.container.relay().drain()
    assert recorded(backend).sent
    # <<< outbox

    after = backend_for(backend.name, request)

    assert {table: after.rows(table) for table in metadata.tables} == dict.fromkeys(
        metadata.tables, 0
    )
    # >>> outbox
    assert recorded(after).sent == []
    # <<< outbox
    assert isinstance(after.container.clock(), SystemClock)
    assert after.uow is not uow_before
    assert after.container.config() == after.settings.model_dump()

"""Each backend is wired once for the session and reset for every test: what one test did
never reaches the next."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from adapters.clock import ManualClock, SystemClock
from tests.support import Backend, backend_for, registration


def test_a_reset_backend_keeps_no_row_no_email_no_override_and_its_settings(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    backend.container.clock.override(providers.Object(ManualClock()))
    backend.container.register_account().execute(registration())
    backend.container.relay().drain()
    uow_before = backend.uow
    assert (backend.rows("accounts"), len(backend.sender.sent)) == (1, 1)

    after = backend_for(backend.name, request)

    assert (after.rows("accounts"), after.rows("users"), after.rows("notifications")) == (0, 0, 0)
    assert after.sender.sent == []
    assert isinstance(after.container.clock(), SystemClock)
    assert after.uow is not uow_before
    assert after.container.config() == after.settings.model_dump()

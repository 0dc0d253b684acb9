"""Each backend is wired once for the session and reset for every test: what one test did
never reaches the next. (Each feature's tests show that its own rows and records go too.)"""

from __future__ import annotations

import pytest
from dependency_injector import providers

from adapters.kit.clock import ManualClock, SystemClock
from tests.support import Backend, backend_for


def test_a_reset_backend_keeps_no_override_a_new_unit_of_work_and_its_settings(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    backend.container.clock.override(providers.Object(ManualClock()))
    uow_before = backend.uow

    after = backend_for(backend.name, request)

    assert isinstance(after.container.clock(), SystemClock)
    assert after.uow is not uow_before
    assert after.container.config() == after.settings.model_dump()

"""What the container provides keeps its type: routes, commands and tests call the application
checked by mypy, never through Any. `make lint` runs mypy over this file; at run time each
assertion also checks the object itself."""

from __future__ import annotations

from typing import assert_type

from dependency_injector import providers
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from adapters.telemetry import Telemetry

# >>> example
from application.accounts import InviteMember, RegisterAccount
from application.health import CheckHealth

# <<< example
# >>> outbox
from application.outbox import GetOutboxStatus
from application.ports import UnitOfWork
from application.queries import GetAccount
from application.relay import NotificationRelay
from bootstrap import build_container
from settings import Settings

# <<< outbox


def test_the_container_provides_each_use_case_as_its_own_type_even_when_traced() -> None:
    container = build_container(Settings(database_url="memory://"))
    telemetry = Telemetry(TracerProvider(shutdown_on_exit=False), MeterProvider())
    container.telemetry.override(providers.Object(telemetry))

    assert isinstance(assert_type(container.settings(), Settings), Settings)
    assert isinstance(assert_type(container.telemetry(), Telemetry | None), Telemetry)
    assert_type(container.unit_of_work(), UnitOfWork)
    assert isinstance(assert_type(container.check_health(), CheckHealth), CheckHealth)
    # >>> example
    assert isinstance(assert_type(container.register_account(), RegisterAccount), RegisterAccount)
    assert isinstance(assert_type(container.invite_member(), InviteMember), InviteMember)
    assert isinstance(assert_type(container.get_account(), GetAccount), GetAccount)
    # <<< example
    # >>> outbox
    assert isinstance(assert_type(container.get_outbox_status(), GetOutboxStatus), GetOutboxStatus)
    assert isinstance(assert_type(container.relay(), NotificationRelay), NotificationRelay)
    # <<< outbox

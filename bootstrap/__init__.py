"""The composition root: which adapter serves each port, wired from the settings (settings.py).

The only place that picks adapters. The kit's providers are in kit.py and each feature's in a
module of its own; Container is all of them. Every use case is provided by a UseCaseFactory,
so that `container.register_account()` is a RegisterAccount to mypy, traced while telemetry
is on.
"""

from __future__ import annotations

from dependency_injector import providers

from application.accounts.use_cases import RegisterAccount
from application.welcome import QueueWelcomeEmail
from bootstrap.accounts import AccountsContainer
from bootstrap.kit import KitContainer, UseCaseFactory
from bootstrap.outbox import OutboxContainer
from settings import Settings


class Container(
    # >>> example
    AccountsContainer,
    # <<< example
    # >>> outbox
    OutboxContainer,
    # <<< outbox
    KitContainer,
):
    """Every feature's providers, and the kit's."""

    # >>> example
    # >>> outbox
    # The welcome email: the follow-up that registering queues, where both parts are. The
    # registration is declared again to take it: a provider redefined here replaces the
    # example's by name, but what refers to the example's keeps referring to it.
    queue_welcome_email = UseCaseFactory(
        QueueWelcomeEmail, uow=KitContainer.unit_of_work, clock=KitContainer.clock
    )
    register_account = UseCaseFactory(
        RegisterAccount,
        uow=KitContainer.unit_of_work,
        create_account=AccountsContainer.create_account,
        follow_ups=providers.List(queue_welcome_email),
    )
    # <<< outbox
    # <<< example


def build_container(settings: Settings | None = None) -> Container:
    """A container wired from settings (by default, from the environment)."""
    settings = settings or Settings()
    container = Container()
    container.settings.set_default(settings)
    container.config.from_dict(settings.model_dump())
    for use_case in container.traverse(types=[UseCaseFactory]):
        use_case.telemetry = container.telemetry
    return container

"""The outbox's providers: the email sender, the relay, and the outbox's use cases."""

from __future__ import annotations

from dependency_injector import providers

from adapters.outbox.email import ConsoleEmailSender, RecordingEmailSender, SmtpEmailSender
from adapters.outbox.telemetry import monitor_relay
from application.outbox.ports import EmailSender
from application.outbox.relay import NotificationRelay, RetryPolicy
from application.outbox.use_cases import GetOutboxStatus, RetryDeadNotification
from bootstrap.kit import KitContainer, UseCaseFactory

# The kit's providers that this feature's are wired to.
config, unit_of_work, clock = KitContainer.config, KitContainer.unit_of_work, KitContainer.clock
telemetry = KitContainer.telemetry


class OutboxContainer(KitContainer):
    email_sender: providers.Provider[EmailSender] = providers.Selector(
        config.email_sender,
        console=providers.Singleton(ConsoleEmailSender),
        recording=providers.Singleton(RecordingEmailSender),
        smtp=providers.Singleton(
            SmtpEmailSender,
            host=config.smtp_host,
            port=config.smtp_port,
            security=config.smtp_security,
            sender=config.email_from,
            username=config.smtp_username,
            password=config.smtp_password,
            ca_file=config.smtp_ca_file,
        ),
    )
    get_outbox_status = UseCaseFactory(GetOutboxStatus, uow=unit_of_work)
    retry_dead_notification = UseCaseFactory(RetryDeadNotification, uow=unit_of_work, clock=clock)
    retry_policy = providers.Factory(
        RetryPolicy,
        max_attempts=config.relay_max_attempts,
        base_delay=config.relay_base_delay,
        max_delay=config.relay_max_delay,
    )
    relay_monitor = providers.Singleton(monitor_relay, telemetry, unit_of_work)
    relay = providers.Factory(
        NotificationRelay,
        uow=unit_of_work,
        email_sender=email_sender,
        clock=clock,
        policy=retry_policy,
        batch_size=config.relay_batch_size,
        lease=config.relay_lease,
        monitor=relay_monitor,
    )

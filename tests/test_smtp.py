"""Email through a real SMTP server (aiosmtpd), one for the module, on every backend."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from dependency_injector import providers
from pydantic import SecretStr

from adapters.kit.clock import ManualClock
from adapters.outbox.email import SmtpEmailSender
from application.outbox.ports import DeliveryStatus, EmailMessage
from application.outbox.relay import NotificationRelay, RetryPolicy
from application.outbox.use_cases import RetryNotificationCommand
from domain.email import Email
from tests.outbox_support import queue_emails
from tests.support import Backend

BASE_DELAY = timedelta(seconds=30)
SENDER = "keel@example.com"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO)

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = _free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def module_smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(module_smtp_server: SmtpServer) -> SmtpServer:
    """The module's server, running (a test may have stopped it), its inbox empty."""
    module_smtp_server.start()
    module_smtp_server.inbox.clear()
    return module_smtp_server


@pytest.fixture(scope="module")
def smtp_sender(module_smtp_server: SmtpServer) -> SmtpEmailSender:
    # One for the module: a sender loads the system's CA certificates when it is built
    # (tens of milliseconds), even for plain SMTP.
    return SmtpEmailSender("127.0.0.1", module_smtp_server.port, "none", sender=SENDER)


@pytest.fixture
def clock(backend: Backend) -> ManualClock:
    clock = ManualClock()
    backend.container.clock.override(providers.Object(clock))
    return clock


@pytest.fixture
def relay(
    backend: Backend, smtp_server: SmtpServer, smtp_sender: SmtpEmailSender, clock: ManualClock
) -> NotificationRelay:
    policy = RetryPolicy(max_attempts=4, base_delay=BASE_DELAY)
    return NotificationRelay(backend.uow, smtp_sender, clock, policy, jitter=lambda: 0.0)


def test_a_queued_email_arrives_with_recipient_subject_body_and_idempotency_key(
    backend: Backend, relay: NotificationRelay, smtp_server: SmtpServer
) -> None:
    queue_emails(backend.uow, 1)

    relay.drain()

    [message] = smtp_server.inbox.messages
    assert message["To"] == "user0@example.com"
    assert message["Subject"] == "Reminder"
    assert str(message.get_payload()).strip() == "Hello"
    assert message["Idempotency-Key"] == "reminder:0"
    assert message["Message-ID"] == "<reminder.0@example.com>"
    assert smtp_server.inbox.envelopes == [(SENDER, ["user0@example.com"])]


def test_with_smtp_down_the_email_is_retried_ever_later_then_dead_then_revived_and_sent(
    backend: Backend, relay: NotificationRelay, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    queue_emails(backend.uow, 1)
    smtp_server.stop()

    first = relay.drain()
    waits = []
    for expected in (BASE_DELAY / 2, BASE_DELAY, BASE_DELAY * 2):
        clock.advance(expected - timedelta(seconds=1))
        early = relay.drain()
        clock.advance(timedelta(seconds=1))
        waits.append((early.claimed, relay.drain().claimed))
    outbox = backend.container.get_outbox_status().execute()

    assert first.retried == 1
    assert waits == [(0, 1), (0, 1), (0, 1)]
    assert outbox.counts[DeliveryStatus.DEAD] == 1
    [dead] = outbox.dead
    assert dead.attempts == 4
    assert "ConnectionRefusedError" in dead.last_error

    backend.container.retry_dead_notification().execute(
        RetryNotificationCommand(notification_id=dead.notification_id)
    )
    smtp_server.start()
    revived = relay.drain()

    assert revived.sent == 1
    assert [m["To"] for m in smtp_server.inbox.messages] == ["user0@example.com"]
    assert backend.container.get_outbox_status().execute().counts[DeliveryStatus.SENT] == 1


class Credentials:
    """An aiosmtpd authenticator that accepts one login and remembers who logged in."""

    def __init__(self, login: str, password: str) -> None:
        self._expected = (login.encode(), password.encode())
        self.logged_in: list[str] = []

    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        given = (data.login, data.password)  # type: ignore[attr-defined]
        if given != self._expected:
            return AuthResult(success=False, handled=False)
        self.logged_in.append(given[0].decode())
        return AuthResult(success=True)


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(certificate_authority: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return str(path)


def server_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def message_to(recipient: str) -> EmailMessage:
    return EmailMessage(
        recipient=Email(recipient),
        subject="Welcome to keel",
        body="Hello",
        idempotency_key=f"welcome:{recipient}",
    )


def test_starttls_upgrades_before_logging_in_and_delivers(
    certificate_authority: trustme.CA, ca_file: str
) -> None:
    inbox, credentials = Inbox(), Credentials("keel", "smtp-secret")
    # The server refuses AUTH and mail before STARTTLS, so a delivery proves the upgrade.
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=server_tls(certificate_authority),
        require_starttls=True,
        authenticator=credentials,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    sender = SmtpEmailSender(
        "127.0.0.1",
        controller.port,
        "starttls",
        sender=SENDER,
        username="keel",
        password=SecretStr("smtp-secret"),
        ca_file=ca_file,
    )
    try:
        sender.send(message_to("ada@example.com"))
    finally:
        controller.stop()

    assert credentials.logged_in == ["keel"]
    assert [m["To"] for m in inbox.messages] == ["ada@example.com"]


@pytest.fixture
def tls_server(certificate_authority: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server speaking TLS from the first byte, with a certificate from the test CA."""
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        ssl_context=server_tls(certificate_authority),
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_implicit_tls_delivers(tls_server: tuple[Inbox, int], ca_file: str) -> None:
    inbox, port = tls_server
    sender = SmtpEmailSender("127.0.0.1", port, "tls", sender=SENDER, ca_file=ca_file)

    sender.send(message_to("ada@example.com"))

    assert [m["To"] for m in inbox.messages] == ["ada@example.com"]


def test_a_server_whose_certificate_is_not_trusted_is_refused(
    tls_server: tuple[Inbox, int],
) -> None:
    inbox, port = tls_server
    sender = SmtpEmailSender("127.0.0.1", port, "tls", sender=SENDER)

    with pytest.raises(ssl.SSLCertVerificationError):
        sender.send(message_to("ada@example.com"))

    assert inbox.messages == []


def test_credentials_without_tls_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="need TLS"):
        SmtpEmailSender(
            "127.0.0.1",
            25,
            "none",
            sender=SENDER,
            username="keel",
            password=SecretStr("smtp-secret"),
        )

"""The SMTP sender's security, against real servers (aiosmtpd): STARTTLS before logging in,
implicit TLS, certificates checked, and no credentials sent in the clear."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr

from adapters.outbox.email import SmtpEmailSender
from application.outbox.ports import EmailMessage
from domain.email import Email
from tests.outbox_support import SENDER, Inbox, free_port


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
        port=free_port(),
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
        port=free_port(),
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

"""Email senders: SMTP, the console for local runs, and a recording one for tests."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from typing import Literal

from pydantic import SecretStr

from application.outbox.ports import EmailMessage

logger = logging.getLogger(__name__)


class ConsoleEmailSender:
    """Logs each email instead of sending it: the default, so a local run needs no server."""

    def send(self, message: EmailMessage) -> None:
        logger.info(
            "email to %s: %s [%s]\n%s",
            message.recipient,
            message.subject,
            message.idempotency_key,
            message.body,
        )


class RecordingEmailSender:
    """Keeps every email it is asked to send, so tests can see what left the system."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self._sent.append(message)

    @property
    def sent(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._sent)


class SmtpEmailSender:
    """Sends through an SMTP server with the standard library: plain, STARTTLS or TLS."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Literal["none", "starttls", "tls"],
        sender: str,
        username: str | None = None,
        password: SecretStr | None = None,
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if username and security == "none":
            raise ValueError("SMTP credentials need TLS: set security to starttls or tls")
        self._host = host
        self._port = port
        self._security = security
        # Parsed now: an address that is not one fails at start, not at the first email.
        self._sender = Address(addr_spec=sender)
        self._username = username
        self._password = password
        # Certificates are always verified; ca_file adds a private CA to trust.
        self._tls = ssl.create_default_context(cafile=ca_file)
        self._timeout = timeout

    def send(self, message: EmailMessage) -> None:
        with self._connect() as smtp:
            if self._security == "starttls":
                smtp.starttls(context=self._tls)
            if self._username and self._password:
                smtp.login(self._username, self._password.get_secret_value())
            # The envelope is named, not read back from headers: only the recipient gets it.
            smtp.send_message(
                self._mime(message),
                from_addr=self._sender.addr_spec,
                to_addrs=[str(message.recipient)],
            )

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._tls
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        # Addresses go through the header registry, which quotes and folds them correctly.
        mime["From"] = self._sender
        mime["To"] = Address(addr_spec=str(message.recipient))
        mime["Subject"] = message.subject
        # The same notification always gets the same Message-ID, so a receiver can deduplicate
        # the copies that at-least-once delivery may produce.
        domain = self._sender.domain or "keel.invalid"
        mime["Message-ID"] = f"<{message.idempotency_key.replace(':', '.')}@{domain}>"
        mime["Idempotency-Key"] = message.idempotency_key
        mime.set_content(message.body)
        return mime

    def __repr__(self) -> str:
        return f"SmtpEmailSender({self._host}:{self._port}, {self._security})"

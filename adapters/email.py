"""Email senders: to the console for local runs, recorded in memory for tests."""

from __future__ import annotations

import logging
import threading

from application.ports import EmailMessage

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

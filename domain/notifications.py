"""Notifications: messages the business owes someone, such as a welcome email."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NewType

from domain.email import Email
from domain.errors import Conflict

NotificationId = NewType("NotificationId", uuid.UUID)


@dataclass
class Notification:
    id: NotificationId
    kind: str  # what it says, e.g. "welcome"
    about: str  # whom or what it is about, e.g. a user's id
    recipient: Email

    @property
    def idempotency_key(self) -> str:
        """One notification of a kind about each thing: sending it twice is the same message."""
        return f"{self.kind}:{self.about}"

    @classmethod
    def create(cls, kind: str, about: str, recipient: Email) -> Notification:
        return cls(id=NotificationId(uuid.uuid4()), kind=kind, about=about, recipient=recipient)


class DuplicateNotification(Conflict):
    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"notification already recorded: {idempotency_key}")
        self.idempotency_key = idempotency_key

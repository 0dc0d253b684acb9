"""Notifications: messages the business owes to a user, such as the welcome email."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import NewType

from domain.accounts import UserId
from domain.email import Email

NotificationId = NewType("NotificationId", uuid.UUID)


class NotificationKind(enum.StrEnum):
    WELCOME = "welcome"


@dataclass
class Notification:
    id: NotificationId
    user_id: UserId
    kind: NotificationKind
    recipient: Email

    @property
    def idempotency_key(self) -> str:
        """One notification of a kind per user: sending it twice is the same message."""
        return f"{self.kind}:{self.user_id}"

    @classmethod
    def welcome(cls, user_id: UserId, recipient: Email) -> Notification:
        return cls(
            id=NotificationId(uuid.uuid4()),
            user_id=user_id,
            kind=NotificationKind.WELCOME,
            recipient=recipient,
        )

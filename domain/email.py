"""Email addresses, a value shared by every part of the domain that reaches a person."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValue

# RFC 5321's limits: what a mail server must accept, and all that it may.
MAX_LOCAL_PART_LENGTH = 64
MAX_EMAIL_LENGTH = 254

_WHITESPACE = re.compile(r"\s")


class InvalidEmail(InvalidValue):
    def __init__(self, value: str, reason: str = "it is malformed") -> None:
        super().__init__(f"not an email address ({reason}): {value!r}")
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Email:
    """An email address, normalised so that case variants are the same address."""

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        local, at, domain = normalised.partition("@")
        if not (local and at and domain) or "@" in domain or _WHITESPACE.search(normalised):
            raise InvalidEmail(self.value)
        if len(local) > MAX_LOCAL_PART_LENGTH:
            raise InvalidEmail(self.value, f"more than {MAX_LOCAL_PART_LENGTH} characters before @")
        if len(normalised) > MAX_EMAIL_LENGTH:
            raise InvalidEmail(self.value, f"more than {MAX_EMAIL_LENGTH} characters")
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value

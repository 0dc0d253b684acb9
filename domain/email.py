"""Email addresses, a value shared by every part of the domain that reaches a person."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidEmail


@dataclass(frozen=True)
class Email:
    """An email address, normalised so that case variants are the same address."""

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        local, at, domain = normalised.partition("@")
        if not (local and at and domain) or "@" in domain or any(c.isspace() for c in normalised):
            raise InvalidEmail(self.value)
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value

"""The shape every use case shares: one command in, one result out."""

from __future__ import annotations

import abc
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    """Validated input for a use case: frozen, and refusing fields it does not declare."""

    # A rejected password must never be echoed back inside a validation error.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, extra="forbid")


CommandT = TypeVar("CommandT", bound=Command, contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


class UseCase(abc.ABC, Generic[CommandT, ResultT]):
    @abc.abstractmethod
    def execute(self, command: CommandT) -> ResultT:
        """Carries out the business operation the command asks for."""

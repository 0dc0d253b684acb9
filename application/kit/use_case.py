"""The shape every use case shares: one command in, one result out."""

from __future__ import annotations

import abc
from typing import Generic, TypeVar

from pydantic import BaseModel

CommandT = TypeVar("CommandT", bound=BaseModel, contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


class UseCase(abc.ABC, Generic[CommandT, ResultT]):
    @abc.abstractmethod
    def execute(self, command: CommandT) -> ResultT:
        """Carries out the business operation the command asks for."""

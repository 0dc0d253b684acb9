"""The categories of the errors the domain names, so that callers can catch them by what went
wrong. Each feature's errors live with its entities, each a subclass of one of these.

Every error belongs to one of three categories, and callers answer by category: an HTTP
route maps InvalidValue to 422, NotFound to 404 and Conflict to 409, whatever the subclass.
A new error only has to pick its category.
"""


class DomainError(Exception):
    """Base class of every error the business rules raise."""


class InvalidValue(DomainError):
    """A value breaks a rule of the domain: asking again with the same value cannot work."""


class NotFound(DomainError):
    def __init__(self, kind: str, identifier: object) -> None:
        super().__init__(f"{kind} not found: {identifier}")
        self.kind = kind
        self.identifier = identifier


class Conflict(DomainError):
    """The request is valid but clashes with what is stored (a taken email, a full account)."""

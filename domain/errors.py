"""Errors the domain names, so that callers can catch them by what went wrong.

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


# >>> example|outbox
class InvalidEmail(InvalidValue):
    def __init__(self, value: str, reason: str = "it is malformed") -> None:
        super().__init__(f"not an email address ({reason}): {value!r}")
        self.value = value
        self.reason = reason


# <<< example|outbox


# >>> example
class InvalidAccountName(InvalidValue):
    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid account name {value!r}: {reason}")
        self.value = value
        self.reason = reason


class EmailAlreadyRegistered(Conflict):
    def __init__(self, email: object) -> None:
        super().__init__(f"email already registered: {email}")
        self.email = email


class AlreadyInvited(Conflict):
    def __init__(self, email: object) -> None:
        super().__init__(f"already invited: {email}")
        self.email = email


class SeatLimitReached(Conflict):
    def __init__(self, seat_limit: int) -> None:
        super().__init__(f"every seat is taken: the account has {seat_limit}")
        self.seat_limit = seat_limit


# <<< example


# >>> outbox
class DuplicateNotification(Conflict):
    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"notification already recorded: {idempotency_key}")
        self.idempotency_key = idempotency_key


# <<< outbox

"""Errors the domain names, so that callers can catch them by what went wrong."""


class DomainError(Exception):
    """Base class of every error the business rules raise."""


class InvalidEmail(DomainError):
    def __init__(self, value: str) -> None:
        super().__init__(f"not an email address: {value!r}")
        self.value = value


class InvalidAccountName(DomainError):
    def __init__(self, value: str) -> None:
        super().__init__(f"an account name must have 1 to 100 characters, got {value!r}")
        self.value = value


class EmailAlreadyRegistered(DomainError):
    def __init__(self, email: object) -> None:
        super().__init__(f"email already registered: {email}")
        self.email = email


class DuplicateNotification(DomainError):
    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"notification already recorded: {idempotency_key}")
        self.idempotency_key = idempotency_key

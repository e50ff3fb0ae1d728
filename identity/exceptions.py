"""Domain errors raised by services and selectors; the exception handler maps them to the envelope."""


class DomainError(Exception):
    """Base of the errors a service may raise; `status` and `message` go to the client."""

    status = 400
    message = "Bad request"

    def __init__(self, message: str | None = None, *, errors: dict | None = None, extra: dict | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors
        self.extra = extra or {}


def missing_reference(value) -> str:
    """DRF's own text for a body reference naming no row of the caller's company (the contract keeps DRF's
    defaults where it quotes none)."""
    return f'Invalid pk "{value}" - object does not exist.'


class ValidationFailed(DomainError):
    status = 400
    message = "Validation error"

    @classmethod
    def field(cls, field: str, text: str) -> "ValidationFailed":
        return cls(errors={field: [text]})


class NotFound(DomainError):
    status = 404
    message = "Resource not found"


class Forbidden(DomainError):
    status = 403
    message = "Access denied"


class Conflict(DomainError):
    status = 409
    message = "Conflict"

    @classmethod
    def duplicate(cls, field: str) -> "Conflict":
        return cls(errors={field: [f"{field.replace('_', ' ').capitalize()} already exists."]})


class Unavailable(DomainError):
    status = 503
    message = "Service unavailable"


class TooManyRequests(DomainError):
    status = 429
    message = "Too many requests"

    def __init__(self, retry_after: int = 1):
        super().__init__()
        self.retry_after = max(1, int(retry_after))

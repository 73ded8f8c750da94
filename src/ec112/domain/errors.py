"""Domain errors carry stable string codes; adapters map them (web → HTTP status, CLI → exit code)."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class InvalidRequest(DomainError):
    code = "invalid_request"


class Unavailable(DomainError):
    """A dependency (Asterisk, the database) cannot serve the request right now."""

    code = "unavailable"


class Conflict(DomainError):
    """The thing already exists (e.g. a username taken)."""

    code = "conflict"


class Unauthorized(DomainError):
    """No valid credential: not logged in, a wrong password, an expired session or token."""

    code = "unauthorized"


class Forbidden(DomainError):
    """Logged in, but this role (or this call taker) may not do that."""

    code = "forbidden"


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

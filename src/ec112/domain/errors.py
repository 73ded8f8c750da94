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

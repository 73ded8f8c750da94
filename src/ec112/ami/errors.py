"""Errors raised by the AMI adapter.

Kept free of panoramisk so that services can catch them without knowing the wire library.
"""

from __future__ import annotations


class AmiError(Exception):
    """Anything that went wrong talking to Asterisk over AMI."""


class AmiAuthError(AmiError):
    """Asterisk refused our Login (wrong user, secret or ACL). Fatal: retrying cannot fix configuration."""


class AmiLoginRefused(AmiError):
    """Asterisk answered our Login with an error that is not about credentials, e.g. "Asterisk is shutting
    down" while it restarts. Transient: the client retries with backoff (exiting here would leave 112
    without ec112 after every Asterisk restart)."""


class AmiNotConnected(AmiError):
    """No logged-in AMI session, or it was lost before the action was answered (it is never re-sent)."""


class AmiTimeout(AmiError):
    """Asterisk did not answer within the deadline (connect, login, action or pong)."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``; ``message`` is Asterisk's ``Message`` header."""

    def __init__(self, action: str, message: str, response: dict[str, str] | None = None) -> None:
        super().__init__(f"AMI action {action} failed: {message}")
        self.action = action
        self.message = message
        self.response: dict[str, str] = dict(response or {})

"""A call taker's softphone account as the admin page provisions it (pure values, no I/O).

The site's SIP server and transport come from ``[softphones]``; the passwords from the accounts file the lab or
``ec112 site render`` wrote. Each may be missing: the page then says what is missing instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EndpointSecrets:
    """``endpoint → password`` from the accounts file; ``problem`` is None when it was read, else ``unset`` or
    ``unreadable: <reason>``; ``path`` names the file (for the page's hint)."""

    passwords: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = "unset"
    path: str | None = None


@dataclass(frozen=True, slots=True)
class SoftphoneSite:
    """``[softphones]``: where a phone on the centre's LAN reaches Asterisk, and how."""

    server: str = ""  # host[:port]; "" when not configured
    transport: str = "udp"  # udp | tcp | tls
    srtp: bool = False

    @property
    def domain(self) -> str:
        """The SIP domain of the accounts: the server without its port (``[v6]:port`` kept bracketed)."""
        host = self.server
        if host.startswith("["):
            return host.split("]", 1)[0] + "]"
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True, slots=True)
class SoftphoneAccount:
    """Everything a softphone needs for one endpoint (``password`` None: the accounts file does not have it)."""

    endpoint: str
    site: SoftphoneSite
    password: str | None
    display_name: str | None = None  # the account linked to this endpoint, if any

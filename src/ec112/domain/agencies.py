"""Agencies (OPD) with authority over emergency categories, their posts and their responders (pure).

The entities only. Loaded from the centre's agencies file (TOML, read by ``ec112.config.agencies_file``) so that
changing who handles what needs no code change; the directory that answers the dispatcher's first question
(which agencies have authority for this category, in the centre's order) and the proposal rules live in
``ec112.routing.agencies``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Post:
    """Where an agency's responders start from (pos Damkar, Puskesmas, …)."""

    name: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class AlternateContact:
    """The person told when the agency does not acknowledge a dispatch in time (level-2 escalation).

    Reached through the agency's second system (``webhook_url``) and/or an SMS gateway's webhook
    (``sms_gateway_url``, sent ``phone`` and a short text). With neither, the escalation is only shown.
    """

    name: str  # "Kepala Bidang Kedaruratan BPBD"
    phone: str | None = None
    webhook_url: str | None = None
    sms_gateway_url: str | None = None

    @property
    def reachable(self) -> bool:
        """ec112 can tell this contact itself (else a person must call them)."""
        return bool(self.webhook_url or self.sms_gateway_url)


@dataclass(frozen=True, slots=True)
class Agency:
    code: str  # stable id, e.g. "damkar"
    name: str  # "Dinas Pemadam Kebakaran dan Penyelamatan"
    short_name: str  # "Damkar"
    categories: tuple[str, ...] = ()  # category codes it has authority for
    posts: tuple[Post, ...] = ()
    phone: str | None = None  # the agency's duty phone
    alternate_contact: AlternateContact | None = None  # told when the agency does not acknowledge in time
    webhook_url: str | None = None  # dispatch/escalation notifications (signed), e.g. a WhatsApp gateway
    ack_timeout_seconds: int | None = None  # None: the centre's default


@dataclass(frozen=True, slots=True)
class Responder:
    username: str  # the responder's ec112 account
    agency: str
    name: str
    phone: str | None = None

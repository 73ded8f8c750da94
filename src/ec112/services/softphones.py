"""Softphone provisioning for the admin pages: the accounts of the site's SIP endpoints, the audited password
reveal, and one-time links that Linphone fetches its configuration from (the QR code holds the link).

A link is a random token kept in memory only (a restart voids the open ones, which is what a short-lived
credential should do), valid for ``link_ttl`` and for one fetch. Nothing here logs or audits a password.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.domain.errors import NotFound, Unavailable
from ec112.domain.softphones import EndpointSecrets, SoftphoneAccount, SoftphoneSite
from ec112.services.audit import AuditService
from ec112.services.intake import utcnow

MAX_OPEN_LINKS = 256  # a bound on memory whatever is clicked; the oldest go first


@dataclass(frozen=True, slots=True)
class _Link:
    endpoint: str
    issued_by: str
    expires_at: datetime


class SoftphoneDesk:
    def __init__(self, site: SoftphoneSite, secrets_reader: Callable[[], EndpointSecrets], audit: AuditService, *,
                 link_ttl: timedelta = timedelta(minutes=5), clock: Callable[[], datetime] = utcnow) -> None:
        self.site = site
        self._read = secrets_reader
        self._audit = audit
        self.link_ttl = link_ttl
        self._clock = clock
        self._links: dict[str, _Link] = {}

    def secrets(self) -> EndpointSecrets:
        return self._read()

    def account(self, endpoint: str, display_name: str | None = None) -> SoftphoneAccount:
        """The endpoint's account (NotFound when the accounts file does not list it, or cannot be read)."""
        found = self._read()
        if endpoint not in found.passwords:
            raise NotFound(f"no SIP endpoint {endpoint!r} in the accounts file")
        return SoftphoneAccount(endpoint, self.site, found.passwords[endpoint], display_name)

    async def reveal(self, actor: str, endpoint: str) -> str:
        """The endpoint's password, for the admin who clicked "show"; audited (actor and endpoint only)."""
        password = self.account(endpoint).password
        assert password is not None
        await self._audit.record(actor, "softphone.reveal", endpoint)
        return password

    async def issue_link(self, actor: str, endpoint: str) -> tuple[str, datetime]:
        """A one-time token for the endpoint's provisioning file, and when it expires; audited."""
        self.account(endpoint)  # NotFound before a token exists for nothing
        if not self.site.server:
            raise Unavailable("[softphones] server is not set: a phone would not know where to register")
        now = self._clock()
        self._links = {t: link for t, link in self._links.items() if link.expires_at > now}
        while len(self._links) >= MAX_OPEN_LINKS:
            del self._links[next(iter(self._links))]
        token = secrets.token_urlsafe(24)
        expires_at = now + self.link_ttl
        self._links[token] = _Link(endpoint, actor, expires_at)
        await self._audit.record(actor, "softphone.link", endpoint, expires_at=expires_at.isoformat())
        return token, expires_at

    async def redeem(self, token: str, client_ip: str | None) -> SoftphoneAccount:
        """The account behind a link, once: a used, expired or unknown token is NotFound (the same answer)."""
        link = self._links.pop(token, None)
        if link is None or link.expires_at <= self._clock():
            raise NotFound("this provisioning link is unknown, used or expired: make a new QR code")
        account = self.account(link.endpoint)
        await self._audit.record(link.issued_by, "softphone.provisioned", link.endpoint, client_ip=client_ip)
        return account

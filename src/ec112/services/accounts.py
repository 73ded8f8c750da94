"""User administration (``ec112 user …`` and the panel's admin pages): add, list, change or reset a password,
disable/enable, link a SIP endpoint, API tokens.

Both the CLI and the web pages come here, so an account is validated the same way wherever it is changed. Every
change is audited under the acting principal (a username, or ``cli`` for the server admin tool).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from ec112.domain.accounts import (
    AGENCY_ROLES,
    Language,
    NewUser,
    Role,
    User,
    check_endpoint_link,
    validate_endpoint_name,
    validate_new_user,
    validate_password,
)
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.services.account_ports import TokenStore, UserStore
from ec112.services.audit import AuditService
from ec112.services.intake import utcnow
from ec112.services.passwords import Passwords

TOKEN_PREFIX = "ec112_"  # noqa: S105 - marks an API token, no secret
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters: typed once by the user, then changed or kept
SiteEndpoints = Callable[[], frozenset[str] | None]  # the site's SIP endpoints; None: not known (no accounts file)


def token_digest(token: str) -> str:
    """What is stored of a session cookie or an API token: its SHA-256 (the token itself is random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class UserAdmin:
    def __init__(
        self,
        store: UserStore,
        tokens: TokenStore,
        passwords: Passwords,
        audit: AuditService,
        clock: Callable[[], datetime] = utcnow,
        site_endpoints: SiteEndpoints = lambda: None,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._passwords = passwords
        self._audit = audit
        self._clock = clock
        self._site_endpoints = site_endpoints

    async def _check_link(self, endpoint: str | None, username: str) -> None:
        if endpoint is not None:
            check_endpoint_link(endpoint, username, self._site_endpoints(), await self._store.list_users())

    async def add(self, actor: str, new: NewUser, password: str) -> User:
        new = validate_new_user(new)
        validate_password(password, new.username)
        await self._check_link(new.sip_endpoint, new.username)
        user = await self._store.add_user(new, await self._passwords.hash(password), self._clock())
        await self._audit.record(actor, "user.add", user.username, role=user.role.value,
                                 sip_endpoint=user.sip_endpoint, agency=user.agency)
        return user

    async def list(self) -> Sequence[User]:
        return await self._store.list_users()

    async def get(self, username: str) -> User:
        found = await self._store.user_by_name(username.strip().lower())
        if found is None:
            raise NotFound(f"no user {username!r}")
        return found[0]

    async def change_password(self, actor: str, username: str, password: str) -> int:
        """Set a new password; every session of the user ends. Returns how many sessions ended."""
        user = await self.get(username)
        validate_password(password, user.username)
        revoked = await self._store.set_password(user.id, await self._passwords.hash(password), self._clock())
        await self._audit.record(actor, "user.passwd", user.username, sessions_revoked=revoked)
        return revoked

    @staticmethod
    def new_password() -> str:
        """A generated password: random, long enough, easy to type from the screen once."""
        return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)

    async def reset_password(self, actor: str, username: str) -> tuple[str, int]:
        """A generated password (returned once, for the admin to hand over) and how many sessions ended."""
        password = self.new_password()
        return password, await self.change_password(actor, username, password)

    async def set_disabled(self, actor: str, username: str, disabled: bool) -> int:
        """Disable (every session ends, tokens stop working) or enable again (refused while another active
        account has taken her SIP endpoint)."""
        user = await self.get(username)
        if not disabled:
            await self._check_link(user.sip_endpoint, user.username)
        revoked = await self._store.set_disabled(user.id, disabled, self._clock())
        action = "user.disable" if disabled else "user.enable"
        await self._audit.record(actor, action, user.username, sessions_revoked=revoked)
        return revoked

    async def link_endpoint(self, actor: str, username: str, endpoint: str | None) -> User:
        """Link her desk phone (``taker05``), or unlink it (None; a call taker always keeps one)."""
        user = await self.get(username)
        name = validate_endpoint_name(endpoint)
        if name is None and user.role is Role.CALL_TAKER:
            raise InvalidRequest("a call taker needs her SIP endpoint (e.g. taker03)")
        await self._check_link(name, user.username)
        await self._store.set_sip_endpoint(user.id, name)
        await self._audit.record(actor, "user.endpoint", user.username, sip_endpoint=name, previous=user.sip_endpoint)
        return await self.get(username)

    async def set_role(self, actor: str, username: str, role: Role, agency: str | None) -> User:
        """Change her role (and agency, for the agency roles), checked as a new account would be."""
        user = await self.get(username)
        changed = validate_new_user(NewUser(user.username, user.display_name, role, user.sip_endpoint,
                                            agency if role in AGENCY_ROLES else None, user.language))
        await self._store.set_role(user.id, changed.role.value, changed.agency)
        await self._audit.record(actor, "user.role", user.username, role=changed.role.value, agency=changed.agency,
                                 previous=user.role.value)
        return await self.get(username)

    async def set_language(self, actor: str, user: User, language: str) -> None:
        try:
            lang = Language(language)
        except ValueError as exc:
            raise InvalidRequest(f"unknown language {language!r}: id or en") from exc
        await self._store.set_language(user.id, lang.value)
        await self._audit.record(actor, "user.language", user.username, language=lang.value)

    async def issue_token(self, actor: str, username: str, name: str) -> str:
        """A new API token for ``username``, returned once; only its hash is kept."""
        user = await self.get(username)
        name = name.strip()
        if not 1 <= len(name) <= 64:
            raise InvalidRequest("a token name has 1 to 64 characters")
        token = new_api_token()
        await self._tokens.add_token(user.id, name, token_digest(token), self._clock())
        await self._audit.record(actor, "token.create", user.username, name=name)
        return token

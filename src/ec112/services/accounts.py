"""User administration (``ec112 user …``): add, list, change password, disable/enable, API tokens.

Every change is audited under the acting principal (a username, or ``cli`` for the server admin tool).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from ec112.domain.accounts import Language, NewUser, User, validate_new_user, validate_password
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.services.account_ports import TokenStore, UserStore
from ec112.services.audit import AuditService
from ec112.services.intake import utcnow
from ec112.services.passwords import Passwords

TOKEN_PREFIX = "ec112_"  # noqa: S105 - marks an API token, no secret


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
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._passwords = passwords
        self._audit = audit
        self._clock = clock

    async def add(self, actor: str, new: NewUser, password: str) -> User:
        new = validate_new_user(new)
        validate_password(password, new.username)
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

    async def set_disabled(self, actor: str, username: str, disabled: bool) -> int:
        """Disable (every session ends, tokens stop working) or enable again."""
        user = await self.get(username)
        revoked = await self._store.set_disabled(user.id, disabled, self._clock())
        action = "user.disable" if disabled else "user.enable"
        await self._audit.record(actor, action, user.username, sessions_revoked=revoked)
        return revoked

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

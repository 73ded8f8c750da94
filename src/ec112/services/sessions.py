"""Who is asking: password logins with rate limiting, server-side web sessions, API tokens, the CLI token.

Sessions live in the database (only the SHA-256 of the cookie's token), so a watchdog restart of the
worker does not log the whole room out. A session ends after ``idle`` without a request, at ``lifetime``
after login whatever happens, at logout, and when its user is disabled or changes password.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ec112.domain.accounts import CLI_PRINCIPAL, User
from ec112.domain.errors import RateLimited, Unauthorized
from ec112.services.account_ports import AccountStore, WebSession
from ec112.services.accounts import TOKEN_PREFIX, token_digest
from ec112.services.audit import AuditService
from ec112.services.intake import utcnow
from ec112.services.passwords import Passwords
from ec112.services.ratelimit import LoginRateLimiter

log = logging.getLogger(__name__)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute per session
BAD_LOGIN = "wrong username or password"


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: User
    via: Literal["session", "token", "cli"]
    session: WebSession | None = None


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=4)
    lifetime: timedelta = timedelta(hours=12)  # a shift and its overtime


def session_is_live(
    session: WebSession, user: User, now: datetime, policy: SessionPolicy, *, check_idle: bool = True
) -> bool:
    return (
        session.revoked_at is None
        and not user.disabled
        and now < session.expires_at
        and (not check_idle or now - session.last_seen_at < policy.idle)
    )


class AuthService:
    def __init__(
        self,
        store: AccountStore,
        passwords: Passwords,
        audit: AuditService,
        limiter: LoginRateLimiter,
        *,
        policy: SessionPolicy | None = None,
        cli_token: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._audit = audit
        self._limiter = limiter
        self.policy = policy or SessionPolicy()
        self._cli_token = cli_token
        self._clock = clock

    async def login(self, username: str, password: str, client_ip: str | None) -> tuple[str, WebSession, User]:
        """A new session for a right password: (cookie token, session, user). Raises ``RateLimited`` or
        ``Unauthorized`` (the same message for an unknown user, a wrong password and a disabled account)."""
        username = username.strip().lower()[:64]
        wait = self._limiter.retry_after(username, client_ip)
        if wait is not None:
            log.warning("login refused: too many failures (retry in %d s)", wait)
            raise RateLimited(f"too many failed logins; try again in {wait} s", wait)
        found = await self._store.user_by_name(username) if username else None
        valid = await self._passwords.verify(password, found[1] if found else None)
        if found is None or not valid or found[0].disabled:
            reason = "unknown_user" if found is None else ("bad_password" if not valid else "disabled")
            # An unknown "username" may be a password typed in the wrong field: it is not recorded.
            await self._audit.record("-", "login.failure", found[0].username if found else None,
                                     reason=reason, ip=client_ip)
            if self._limiter.failed(username, client_ip):
                await self._audit.record("-", "login.rate_limited", found[0].username if found else None,
                                         ip=client_ip)
            raise Unauthorized(BAD_LOGIN)
        user = found[0]
        self._limiter.succeeded(username)
        now = self._clock()
        token = secrets.token_urlsafe(32)
        draft = WebSession(0, user.id, secrets.token_urlsafe(32), now, now, now + self.policy.lifetime)
        session = await self._store.add_session(token_digest(token), draft, client_ip)
        await self._audit.record(user.username, "login.success", user.username, ip=client_ip, session=session.id)
        return token, session, user

    async def from_cookie(self, token: str) -> Authenticated | None:
        if not token or len(token) > 128:
            return None
        found = await self._store.session_by_token(token_digest(token))
        if found is None:
            return None
        session, user = found
        now = self._clock()
        if not session_is_live(session, user, now, self.policy):
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            await self._store.touch_session(session.id, now)
        return Authenticated(user, "session", session)

    async def from_bearer(self, token: str) -> Authenticated | None:
        if self._cli_token and hmac.compare_digest(token.encode(), self._cli_token.encode()):
            return Authenticated(CLI_PRINCIPAL, "cli")
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        found = await self._store.token_by_hash(token_digest(token))
        if found is None:
            return None
        info, user = found
        if info.revoked_at is not None or user.disabled:
            return None
        now = self._clock()
        if info.last_used_at is None or now - info.last_used_at >= TOUCH_EVERY:
            await self._store.touch_token(info.id, now)
        return Authenticated(user, "token")

    async def still_valid(self, who: Authenticated) -> bool:
        """Re-check a long request (an SSE stream): the user not disabled, the session neither revoked nor
        past its lifetime. An open stream is a console in use, so it counts as activity (not idle)."""
        if who.via == "cli":
            return True
        user = await self._store.user_by_id(who.user.id)
        if user is None or user.disabled:
            return False
        if who.session is None:
            return True
        session = await self._store.session_by_id(who.session.id)
        now = self._clock()
        if session is None or not session_is_live(session, user, now, self.policy, check_idle=False):
            return False
        if now - session.last_seen_at >= TOUCH_EVERY:
            await self._store.touch_session(session.id, now)
        return True

    async def logout(self, who: Authenticated, client_ip: str | None) -> None:
        if who.session is None:
            return
        await self._store.revoke_session(who.session.id, self._clock())
        await self._audit.record(who.user.username, "logout", who.user.username, ip=client_ip)

"""What the account and audit services need from storage (implemented in ``db/accounts.py``, ``db/audit.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ec112.domain.accounts import NewUser, User
from ec112.domain.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class WebSession:
    id: int
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # absolute end
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None = None


class UserStore(Protocol):
    async def add_user(self, new: NewUser, password_hash: str, at: datetime) -> User:
        """Raise ``Conflict`` when the username is taken."""

    async def user_by_id(self, user_id: int) -> User | None: ...

    async def user_by_name(self, username: str) -> tuple[User, str] | None:
        """The user and her password hash."""

    async def list_users(self) -> Sequence[User]: ...

    async def set_password(self, user_id: int, password_hash: str, at: datetime) -> int:
        """Store the new hash and revoke every session of the user; returns how many were revoked."""

    async def set_disabled(self, user_id: int, disabled: bool, at: datetime) -> int:
        """Disabling also revokes every session of the user; returns how many were revoked."""

    async def set_language(self, user_id: int, language: str) -> None: ...

    async def set_sip_endpoint(self, user_id: int, endpoint: str | None) -> None: ...

    async def set_role(self, user_id: int, role: str, agency: str | None) -> None: ...


class SessionStore(Protocol):
    async def add_session(self, token_hash: str, session: WebSession, client_ip: str | None) -> WebSession: ...

    async def session_by_token(self, token_hash: str) -> tuple[WebSession, User] | None: ...

    async def session_by_id(self, session_id: int) -> WebSession | None: ...

    async def touch_session(self, session_id: int, at: datetime) -> None: ...

    async def revoke_session(self, session_id: int, at: datetime) -> None: ...


class TokenStore(Protocol):
    async def add_token(self, user_id: int, name: str, token_hash: str, at: datetime) -> ApiTokenInfo: ...

    async def token_by_hash(self, token_hash: str) -> tuple[ApiTokenInfo, User] | None: ...

    async def touch_token(self, token_id: int, at: datetime) -> None: ...


class AccountStore(UserStore, SessionStore, TokenStore, Protocol):
    """All three, as ``db.accounts.SqlAccountStore`` provides them."""


class AuditStore(Protocol):
    async def append(
        self, *, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> AuditEntry:
        """Seal and store the entry after the current last one (serialised across processes)."""

    async def entries(self, *, after_id: int = 0, limit: int = 1000) -> Sequence[AuditEntry]:
        """Entries with id > after_id, in id order."""

    async def recent(self, limit: int) -> Sequence[AuditEntry]:
        """The newest entries, newest first."""

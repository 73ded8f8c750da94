"""Users, web sessions and API tokens (implements ``services.account_ports.AccountStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import ApiTokenRow, UserRow, WebSessionRow
from ec112.domain.accounts import Language, NewUser, Role, User
from ec112.domain.errors import Conflict
from ec112.services.account_ports import ApiTokenInfo, WebSession


class SqlAccountStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    # --- users --------------------------------------------------------------------------------------------
    async def add_user(self, new: NewUser, password_hash: str, at: datetime) -> User:
        row = UserRow(
            username=new.username, display_name=new.display_name, role=new.role.value,
            sip_endpoint=new.sip_endpoint, agency=new.agency, language=new.language.value,
            password_hash=password_hash, disabled=False, created_at=_utc(at), password_changed_at=_utc(at),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as exc:
            raise Conflict(f"username {new.username!r} is taken") from exc
        return _user(row)

    async def user_by_id(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, user_id)
            return _user(row) if row else None

    async def user_by_name(self, username: str) -> tuple[User, str] | None:
        async with self._sessions() as session:
            row = (await session.execute(select(UserRow).where(UserRow.username == username))).scalar_one_or_none()
            return (_user(row), row.password_hash) if row else None

    async def list_users(self) -> Sequence[User]:
        async with self._sessions() as session:
            return [_user(r) for r in (await session.execute(select(UserRow).order_by(UserRow.username))).scalars()]

    async def set_password(self, user_id: int, password_hash: str, at: datetime) -> int:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UserRow).where(UserRow.id == user_id)
                .values(password_hash=password_hash, password_changed_at=_utc(at))
            )
            return await _revoke_all(session, user_id, at)

    async def set_disabled(self, user_id: int, disabled: bool, at: datetime) -> int:
        async with self._sessions.begin() as session:
            await session.execute(update(UserRow).where(UserRow.id == user_id).values(disabled=disabled))
            return await _revoke_all(session, user_id, at) if disabled else 0

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(UserRow).where(UserRow.id == user_id).values(language=language))

    async def set_sip_endpoint(self, user_id: int, endpoint: str | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(UserRow).where(UserRow.id == user_id).values(sip_endpoint=endpoint))

    async def set_role(self, user_id: int, role: str, agency: str | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(UserRow).where(UserRow.id == user_id).values(role=role, agency=agency))

    # --- web sessions -------------------------------------------------------------------------------------
    async def add_session(self, token_hash: str, session: WebSession, client_ip: str | None) -> WebSession:
        row = WebSessionRow(
            token_hash=token_hash, user_id=session.user_id, csrf_token=session.csrf_token, client_ip=client_ip,
            created_at=_utc(session.created_at), last_seen_at=_utc(session.last_seen_at),
            expires_at=_utc(session.expires_at),
        )
        async with self._sessions.begin() as db:
            db.add(row)
        return _web_session(row)

    async def session_by_token(self, token_hash: str) -> tuple[WebSession, User] | None:
        stmt = (
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.token_hash == token_hash)
        )
        async with self._sessions() as db:
            found = (await db.execute(stmt)).one_or_none()
            return (_web_session(found[0]), _user(found[1])) if found else None

    async def session_by_id(self, session_id: int) -> WebSession | None:
        async with self._sessions() as db:
            row = await db.get(WebSessionRow, session_id)
            return _web_session(row) if row else None

    async def touch_session(self, session_id: int, at: datetime) -> None:
        async with self._sessions.begin() as db:
            await db.execute(update(WebSessionRow).where(WebSessionRow.id == session_id).values(last_seen_at=_utc(at)))

    async def revoke_session(self, session_id: int, at: datetime) -> None:
        async with self._sessions.begin() as db:
            await db.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id == session_id, WebSessionRow.revoked_at.is_(None))
                .values(revoked_at=_utc(at))
            )

    # --- API tokens ---------------------------------------------------------------------------------------
    async def add_token(self, user_id: int, name: str, token_hash: str, at: datetime) -> ApiTokenInfo:
        row = ApiTokenRow(token_hash=token_hash, user_id=user_id, name=name, created_at=_utc(at))
        async with self._sessions.begin() as db:
            db.add(row)
        return _token(row)

    async def token_by_hash(self, token_hash: str) -> tuple[ApiTokenInfo, User] | None:
        stmt = (
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash)
        )
        async with self._sessions() as db:
            found = (await db.execute(stmt)).one_or_none()
            return (_token(found[0]), _user(found[1])) if found else None

    async def touch_token(self, token_id: int, at: datetime) -> None:
        async with self._sessions.begin() as db:
            await db.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=_utc(at)))


async def _revoke_all(db: AsyncSession, user_id: int, at: datetime) -> int:
    result = await db.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user_id, WebSessionRow.revoked_at.is_(None))
        .values(revoked_at=_utc(at))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC)


def _read(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _user(row: UserRow) -> User:
    return User(
        id=row.id, username=row.username, display_name=row.display_name, role=Role(row.role),
        sip_endpoint=row.sip_endpoint, agency=row.agency, language=Language(row.language), disabled=row.disabled,
    )


def _web_session(row: WebSessionRow) -> WebSession:
    return WebSession(
        id=row.id, user_id=row.user_id, csrf_token=row.csrf_token, created_at=_read(row.created_at),
        last_seen_at=_read(row.last_seen_at), expires_at=_read(row.expires_at),
        revoked_at=_read(row.revoked_at) if row.revoked_at else None,
    )


def _token(row: ApiTokenRow) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=row.id, user_id=row.user_id, name=row.name, created_at=_read(row.created_at),
        last_used_at=_read(row.last_used_at) if row.last_used_at else None,
        revoked_at=_read(row.revoked_at) if row.revoked_at else None,
    )

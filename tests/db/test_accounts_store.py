"""Accounts, sessions, tokens and the audit log on SQLite and PostgreSQL (real databases, real argon2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.accounts import SqlAccountStore
from ec112.db.audit import SqlAuditStore
from ec112.db.caller_measures import CallerMeasureRow  # noqa: F401 - its table in Base.metadata
from ec112.db.models import Base
from ec112.domain.accounts import Language, NewUser, Role
from ec112.domain.errors import Conflict, RateLimited, Unauthorized
from ec112.services.accounts import UserAdmin
from ec112.services.audit import AuditService
from ec112.services.passwords import Passwords
from ec112.services.ratelimit import Limit, LoginRateLimiter
from ec112.services.sessions import AuthService, SessionPolicy

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _services(engine: AsyncEngine, clock: Clock) -> tuple[UserAdmin, AuthService, AuditService, SqlAccountStore]:
    store = SqlAccountStore(engine)
    audit = AuditService(SqlAuditStore(engine), clock)
    passwords = Passwords.fast_for_tests()
    admin = UserAdmin(store, store, passwords, audit, clock)
    auth = AuthService(store, passwords, audit, LoginRateLimiter(Limit(3, 300), Limit(20, 300)),
                       policy=SessionPolicy(timedelta(hours=4), timedelta(hours=12)), clock=clock)
    return admin, auth, audit, store


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    # Migration 0018's engine-specific search indexes have no model: SQLite's FTS5 table (and its shadow tables),
    # PostgreSQL's pg_trgm GIN indexes. bench/db/test_db.py checks that the queries use them.
    def ours(name: str | None, kind: str, _parent: object) -> bool:
        return not (kind == "table" and (name or "").startswith("tickets_fts")) and not (
            kind == "index" and (name or "").endswith("_trgm"))

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"include_name": ours}), Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_users_are_added_listed_and_unique(engine: AsyncEngine) -> None:
    admin, _auth, _audit, store = _services(engine, Clock())
    siti = await admin.add("cli", NewUser("Siti", "Siti Aminah", Role.CALL_TAKER, "taker03", None, Language.EN),
                           "kata-sandi-siti")
    assert (siti.username, siti.sip_endpoint, siti.language) == ("siti", "taker03", Language.EN)
    with pytest.raises(Conflict):
        await admin.add("cli", NewUser("siti", "Another", Role.ADMIN), "kata-sandi-lain")
    await admin.add("cli", NewUser("andi", "Andi", Role.SUPERVISOR), "kata-sandi-andi")
    assert [u.username for u in await admin.list()] == ["andi", "siti"]
    found = await store.user_by_name("siti")
    assert found is not None
    assert found[1].startswith("$argon2id$")  # only the argon2 hash is stored
    assert "kata-sandi-siti" not in found[1]


async def test_login_session_lifecycle_and_revocation(engine: AsyncEngine) -> None:
    clock = Clock()
    admin, auth, audit, _store = _services(engine, clock)
    await admin.add("cli", NewUser("siti", "Siti", Role.CALL_TAKER, "taker03"), "kata-sandi-siti")

    token, session, user = await auth.login("SITI", "kata-sandi-siti", "10.0.0.5")
    assert user.username == "siti"
    assert session.expires_at == T0 + timedelta(hours=12)
    who = await auth.from_cookie(token)
    assert who is not None
    assert who.user.id == user.id
    assert who.session is not None
    assert who.session.csrf_token == session.csrf_token
    assert await auth.from_cookie(token + "x") is None

    clock.now = T0 + timedelta(hours=3, minutes=59)  # idle: just under 4 h
    assert await auth.from_cookie(token) is not None  # ...and this request counts as activity
    clock.now += timedelta(hours=3, minutes=59)
    assert await auth.from_cookie(token) is not None
    clock.now += timedelta(hours=4)  # idle too long
    assert await auth.from_cookie(token) is None

    token2, _s, _u = await auth.login("siti", "kata-sandi-siti", None)
    assert await auth.from_cookie(token2) is not None
    assert await admin.change_password("cli", "siti", "kata-sandi-baru") == 2  # the idle one is revoked too
    assert await auth.from_cookie(token2) is None  # a new password ends every session
    with pytest.raises(Unauthorized):
        await auth.login("siti", "kata-sandi-siti", None)

    token3, _s, _u = await auth.login("siti", "kata-sandi-baru", None)
    assert await admin.set_disabled("cli", "siti", True) == 1
    assert await auth.from_cookie(token3) is None
    with pytest.raises(Unauthorized):
        await auth.login("siti", "kata-sandi-baru", None)  # disabled: the same answer as a wrong password
    await admin.set_disabled("cli", "siti", False)
    assert await auth.from_cookie(token3) is None  # enabling again does not bring old sessions back

    actions = [e.action for e in reversed(await SqlAuditStore(engine).recent(100))]
    assert actions == ["user.add", "login.success", "login.success", "user.passwd", "login.failure",
                       "login.success", "user.disable", "login.failure", "user.enable"]
    assert (await audit.verify()).ok


async def test_absolute_lifetime_ends_a_busy_session(engine: AsyncEngine) -> None:
    clock = Clock()
    admin, auth, _audit, _store = _services(engine, clock)
    await admin.add("cli", NewUser("andi", "Andi", Role.SUPERVISOR), "kata-sandi-andi")
    token, _s, _u = await auth.login("andi", "kata-sandi-andi", None)
    for _ in range(12):
        clock.now += timedelta(minutes=59)
        assert await auth.from_cookie(token) is not None
    clock.now = T0 + timedelta(hours=12)
    assert await auth.from_cookie(token) is None


async def test_failed_logins_are_audited_without_the_password_and_rate_limited(engine: AsyncEngine) -> None:
    admin, auth, audit, _store = _services(engine, Clock())
    await admin.add("cli", NewUser("siti", "Siti", Role.CALL_TAKER, "taker03"), "kata-sandi-siti")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await auth.login("siti", "tebakan-salah-1", "10.0.0.9")
    with pytest.raises(RateLimited) as refused:
        await auth.login("siti", "kata-sandi-siti", "10.0.0.9")  # even the right password, for now
    assert 290 <= refused.value.retry_after <= 300
    with pytest.raises(Unauthorized):
        await auth.login("my-secret-password", "x", "10.0.0.9")  # a password typed in the username field

    entries = list(reversed(await SqlAuditStore(engine).recent(100)))
    failures = [e for e in entries if e.action == "login.failure"]
    assert [(e.target, e.detail["reason"]) for e in failures] == [("siti", "bad_password")] * 3 + [
        (None, "unknown_user")]
    assert any(e.action == "login.rate_limited" and e.target == "siti" for e in entries)
    dump = repr(entries)
    assert "tebakan-salah" not in dump
    assert "my-secret-password" not in dump
    assert (await audit.verify()).ok


async def test_api_tokens(engine: AsyncEngine) -> None:
    admin, auth, _audit, _store = _services(engine, Clock())
    await admin.add("cli", NewUser("grafana", "Grafana", Role.SUPERVISOR), "kata-sandi-grafana")
    token = await admin.issue_token("cli", "grafana", "prometheus")
    assert token.startswith("ec112_")
    who = await auth.from_bearer(token)
    assert who is not None
    assert who.via == "token"
    assert who.user.username == "grafana"
    assert await auth.from_bearer(token[:-1]) is None
    await admin.set_disabled("cli", "grafana", True)
    assert await auth.from_bearer(token) is None


async def test_audit_chain_survives_concurrent_writers_and_catches_tampering(engine: AsyncEngine) -> None:
    # Two stores stand for two processes (the daemon and an `ec112 user` command).
    daemon, cli = AuditService(SqlAuditStore(engine)), AuditService(SqlAuditStore(engine))
    await asyncio.gather(*(
        (daemon if n % 2 else cli).record("siti", "agent.pause", f"taker{n:02d}", reason="sholat", n=n)
        for n in range(30)
    ))
    check = await daemon.verify()
    assert (check.ok, check.checked) == (True, 30)

    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_log SET actor = 'budi' WHERE id = 7"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log WHERE id = 7"))

    # Someone with the database's owner rights drops the guard and edits a row: the chain tells.
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
        else:
            await conn.execute(text("DROP TRIGGER audit_log_no_update"))
        await conn.execute(text("UPDATE audit_log SET detail = :d WHERE id = 7"), {"d": '{"n":6,"reason":"istirahat"}'})
    broken = await daemon.verify()
    assert (broken.ok, broken.bad_id, broken.checked) == (False, 7, 6)

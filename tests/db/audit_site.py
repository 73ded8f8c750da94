"""A site whose daemon ran once (key file, anchors, audit entries), shared by the audit and backup tests."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from ec112.cli import app
from ec112.config.settings import Settings
from ec112.wiring import open_stores

PG_ADMIN_DSN = os.environ.get("EC112_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(name="site")
def site_fixture(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A site whose daemon ran once: 5 entries, anchored at its start (head 0) and at its stop (head 5)."""
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EC112_DATABASE__URL", database_url)
    monkeypatch.setenv("EC112_CONFIG", "")
    settings = Settings(lab_mode=True, var_dir=tmp_path / "var", database={"url": database_url})
    asyncio.run(daemon_run(settings, 5))
    return settings


async def daemon_run(settings: Settings, entries: int, *, anchored: bool = True) -> None:
    async with open_stores(settings) as stores:
        if not anchored:
            for i in range(entries):
                await stores.audit.record("cli", "user.add", f"lain{i}")
            return
        async with stores.anchoring(settings):
            for i in range(entries):
                await stores.audit.record("cli", "user.add", f"user{i}")


def verify_cli() -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.stdout, result.stderr


def report_cli() -> dict[str, object]:
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    report: dict[str, object] = json.loads(result.stdout)
    return report


@contextmanager
def another_database(url: str, tmp_path: Path) -> Iterator[str]:
    if url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}"
        return
    name = f"ec112_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(statement: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()

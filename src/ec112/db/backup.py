"""Backups of the database (``ec112 backup``) and a restore into an EMPTY database (``ec112 restore``).

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while the daemon
  keeps writing (WAL); the copy is a SQLite file.
- PostgreSQL: ``pg_dump --format=custom``; restored with ``pg_restore --single-transaction``.

One file per backup, named by its UTC time, written under a temporary name and renamed when complete (a
half-written backup never looks like one), mode 0600 (it holds callers' numbers and locations). Everything
ec112 keeps in the database is in it, the recordings' index included; the recording files themselves are not.
A restore goes into an empty database only: it never overwrites what is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from ec112.db.engine import create_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
PG_TIMEOUT = 3600.0  # a pg_dump or pg_restore that runs longer is stuck (the network, a lock)


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why."""


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql`` by the file's first bytes."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not an ec112 backup (neither a SQLite file nor a pg_dump custom archive)")


async def backup(url: str, directory: Path, now: datetime) -> Path:
    """Write a backup of the database at ``url`` into ``directory``; its path."""
    u = make_url(url)
    sqlite = u.get_backend_name() == "sqlite"
    target = directory / f"ec112-{now.strftime('%Y%m%dT%H%M%SZ')}.{'sqlite3' if sqlite else 'pgdump'}"
    partial = await asyncio.to_thread(_partial, target)
    try:
        if sqlite:
            await asyncio.to_thread(_sqlite_copy, Path(u.database or ""), partial)
        else:
            await _run_pg("pg_dump", u, "--format=custom", f"--file={partial}")
        await asyncio.to_thread(partial.rename, target)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
    return target


def _partial(target: Path) -> Path:
    """The 0600 file the backup is written to before it gets ``target``'s name."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} exists already")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    return partial


async def restore(url: str, file: Path) -> None:
    """Restore ``file`` into the database at ``url``, which must be empty (BackupError otherwise)."""
    u = make_url(url)
    kind, here = backup_kind(file), ("sqlite" if u.get_backend_name() == "sqlite" else "postgresql")
    if kind != here:
        raise BackupError(f"{file} is a {kind} backup; the configured database is {here}")
    tables = await _tables(url)
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables, e.g. {', '.join(tables[:3])}): "
                          "restore only into a new, empty database")
    if kind == "sqlite":
        await asyncio.to_thread(_sqlite_copy, file, Path(u.database or ""))
    else:
        await _run_pg("pg_restore", u, "--single-transaction", "--exit-on-error", "--no-owner", str(file))


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    # A read lock for the copy only; the daemon's writers wait at most their busy timeout.
    with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


async def _tables(url: str) -> list[str]:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not await asyncio.to_thread(_has_content, Path(u.database or "")):
            return []
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    else:
        query = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                 "ORDER BY table_name")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [str(name) for name in (await conn.execute(text(query))).scalars()]
    finally:
        await engine.dispose()


def _has_content(database: Path) -> bool:
    return database.exists() and database.stat().st_size > 0


async def _run_pg(program: str, u: URL, *args: str) -> None:
    """Run pg_dump/pg_restore on ``u`` (libpq URL without the password, which goes in PGPASSWORD)."""
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    dsn = u.set(drivername="postgresql", password=None, query={}).render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(program, f"--dbname={dsn}", *args, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(PG_TIMEOUT):
            _out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise BackupError(f"{program} did not finish within {PG_TIMEOUT:.0f} s") from None
    if process.returncode != 0:
        raise BackupError(f"{program} failed ({process.returncode}): {err.decode(errors='replace').strip()}")

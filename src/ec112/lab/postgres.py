"""A PostgreSQL server for the tests and the lab: the one that is there, or a private cluster of our own.

Order: ``EC112_TEST_PG_DSN`` when set (used as it is); else the local server on 127.0.0.1:5432 when it
accepts us within a second (``EC112_TEST_PG_PROBE=host:port`` probes elsewhere, e.g. a closed port to
prove the fresh-host path); else a private cluster made with Debian's ``initdb``/``pg_ctl`` (package
``postgresql``, installed by ``scripts/install.sh --postgresql``): a temp data dir, a free port, 127.0.0.1
only, trust auth, run as the ``postgres`` user when we are root; stopped and removed at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]

log = logging.getLogger(__name__)
DSN_ENV, PROBE_ENV = "EC112_TEST_PG_DSN", "EC112_TEST_PG_PROBE"
DEFAULT_PROBE = "127.0.0.1:5432"
PG_LIB = Path("/usr/lib/postgresql")
T = TypeVar("T")
START_TIMEOUT = 60.0  # initdb + first start on a loaded 2-core machine


class PostgresUnavailableError(RuntimeError):
    """No server to use and none we can start (the binaries are not installed)."""


@dataclass(frozen=True)
class PgServer:
    admin_dsn: str  # ``postgresql://user@host:port/db`` with the right to CREATE/DROP DATABASE
    private: bool  # a cluster this process started (and will stop)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL (asyncpg driver) of ``database`` on this server."""
        base = self.admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base}/{database}"

    def dsn(self, database: str) -> str:
        return self.admin_dsn.rsplit("/", 1)[0] + f"/{database}"


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, even when the calling thread already runs an event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _accepts(dsn: str, seconds: float) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=seconds)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        log.debug("PostgreSQL at %s refused us: %s", dsn, exc)
        return False
    await conn.close(timeout=seconds)
    return True


def _probe(address: str, timeout: float = 1.0) -> str | None:
    """The admin DSN of the server at ``host:port`` when it answers within ``timeout`` and lets us in."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError:
        return None
    dsn = f"postgresql://postgres@{host}:{port}/postgres"
    return dsn if run_sync(_accepts(dsn, timeout + 1.0)) else None


def find_server() -> PgServer | None:
    """A server that is already there: ``EC112_TEST_PG_DSN``, else the probe address; None when there is none."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        return PgServer(dsn, private=False)
    found = _probe(os.environ.get(PROBE_ENV, DEFAULT_PROBE))
    return PgServer(found, private=False) if found else None


def _bin_dir() -> Path:
    versions = sorted((p for p in PG_LIB.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not versions:
        raise PostgresUnavailableError(
            "PostgreSQL tidak terpasang dan tidak ada server / PostgreSQL is not installed and no server answers: "
            "run `scripts/install.sh --postgresql` (or set EC112_TEST_PG_DSN)")
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateCluster:
    """initdb + pg_ctl in a temp dir; ``start()`` returns once it accepts connections, ``stop()`` removes it."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="ec112-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self._user: pwd.struct_passwd | None = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._user is not None:  # initdb refuses root: the cluster belongs to `postgres`
            self.root.chmod(0o700)
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _run(self, *args: str, timeout: float) -> None:
        user = self._user
        result = subprocess.run(
            [str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout, check=False,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None, extra_groups=[] if user else None,
            cwd=self.root, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
        )
        if result.returncode != 0:
            raise PostgresUnavailableError(f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}")

    def start(self) -> PgServer:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                  timeout=START_TIMEOUT)
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w",
                  "-t", str(int(START_TIMEOUT)), "start", timeout=START_TIMEOUT + 5)
        log.info("private PostgreSQL cluster on 127.0.0.1:%d (%s)", self.port, self.data)
        return PgServer(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", private=True)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop", timeout=30)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def provisioned() -> Iterator[PgServer]:
    """The server to use for a run: one that is there, else a private cluster stopped at the end."""
    server = find_server()
    if server is not None:
        yield server
        return
    cluster = PrivateCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


async def create_database(server: PgServer, name: str) -> str:
    """Create ``name`` (when missing); its SQLAlchemy URL."""
    conn = await asyncpg.connect(server.admin_dsn, timeout=10)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name, timeout=10):
            await conn.execute(f'CREATE DATABASE "{name}"', timeout=30)
    finally:
        await conn.close(timeout=10)
    return server.url(name)


async def drop_database(server: PgServer, name: str) -> None:
    conn = await asyncpg.connect(server.admin_dsn, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', timeout=30)
    finally:
        await conn.close(timeout=10)

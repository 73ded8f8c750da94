"""``services.doctor.SchemaProbe``: can ec112 reach its database, and is the schema at Alembic's head?

Read-only on purpose: it never creates a SQLite file nor migrates (``ec112 serve`` does both at start),
and it uses a bare engine without ec112's connect pragmas (``journal_mode=WAL`` would write).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine

from ec112.db.engine import alembic_config
from ec112.services.doctor import SchemaState


class AlembicSchemaProbe:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self._url = url
        self._timeout = timeout

    async def schema(self) -> SchemaState:
        try:
            url = make_url(self._url)
        except ArgumentError as exc:
            return SchemaState("unreachable", f"[database] url tidak sah / invalid: {exc}")
        where = url.render_as_string(hide_password=True)
        script = ScriptDirectory.from_config(alembic_config())
        head = ",".join(sorted(script.get_heads()))
        if _sqlite_file_missing(url):
            return SchemaState("missing", where, head=head)
        engine = create_async_engine(url, connect_args={"timeout": self._timeout})
        try:
            async with asyncio.timeout(self._timeout):
                async with engine.connect() as conn:
                    current = await conn.run_sync(_current_heads)
        except Exception as exc:  # noqa: BLE001 - any driver error means "cannot use the database", shown so
            return SchemaState("unreachable", f"{where}: {type(exc).__name__}: {exc}", head=head)
        finally:
            await engine.dispose()
        revision = ",".join(sorted(current)) or None
        if not current:
            return SchemaState("empty", where, head=head)
        if set(current) == set(script.get_heads()):
            return SchemaState("at_head", where, revision, head)
        try:
            for rev in current:
                script.get_revision(rev)  # raises for a revision this ec112 does not ship
        except CommandError:
            return SchemaState("unknown_revision", where, revision, head)
        return SchemaState("behind", where, revision, head)


def _sqlite_file_missing(url: URL) -> bool:
    """Opening a missing SQLite file would create it: the doctor reports it instead."""
    if url.get_backend_name() != "sqlite" or not url.database or ":memory:" in url.database:
        return False
    return not Path(url.database).is_file()


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())

"""Alembic environment. The daemon passes a live connection (``migrate()``); the ``alembic`` CLI does not."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from ec112.db.models import Base

target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from ec112.db.engine import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async(os.environ.get("EC112_DATABASE__URL", "sqlite+aiosqlite:///var/ec112.sqlite3")))

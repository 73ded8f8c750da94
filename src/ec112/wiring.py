"""The database part of the composition root: the one place that opens the engine and builds the stores.

``async with open_stores(settings) as stores:`` creates the engine (SQLite: ``database.busy_timeout``),
migrates the schema to head (the database may be a fresh one), hands out the stores and the services
built on them only, and disposes the engine on the way out.

Two users, so both see the same database the same way:

- the daemon (``ec112.daemon.run``), for its whole life;
- the CLI commands that work on the database directly: ``ec112 user …``, ``ec112 audit …`` and the demo
  accounts of ``ec112 lab run``. They are a server admin's tools and must work while the daemon is down
  (the first admin account is made before the first start; the audit log is checked after an incident,
  whatever state the daemon is in), so they do not go through the daemon's API as the other commands do
  (``ec112.cli.api_client``). What they change is audited as the panel's changes are.

``ec112 doctor`` does not come here on purpose: it only reads the schema version and must never create
nor migrate a database (``ec112.db.schema_status``).

The audit log's MAC key (``[audit] key_file``, made at the first start) is loaded here, before any store is
built, and handed to the engine: every store's audit entries are MAC'd (issue 15 part D, ``audit_wiring``).

Imported when a command needs it, not at every ``ec112 …`` start (SQLAlchemy and Alembic are slow to load).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.audit_wiring import Anchoring, anchoring, key_file, load_keyring
from ec112.config.settings import Settings
from ec112.db.accounts import SqlAccountStore
from ec112.db.audit import SqlAuditStore
from ec112.db.audit_chain import sign_with
from ec112.db.dispatches import SqlDispatchStore
from ec112.db.engine import create_engine, migrate
from ec112.db.locations import SqlLocationRepository
from ec112.db.records import SqlRecordStore
from ec112.db.ticket_cache import TicketCache
from ec112.db.tickets import SqlTicketRepository
from ec112.db.webhooks import SqlWebhookLog
from ec112.domain.audit_seal import KeyFileError
from ec112.services.accounts import SiteEndpoints, UserAdmin
from ec112.services.audit import AuditService
from ec112.services.passwords import Passwords

__all__ = ["KeyFileError", "Stores", "open_stores"]


@dataclass(frozen=True)
class Stores:
    """The stores on one engine, and the services that need nothing but them."""

    engine: AsyncEngine
    tickets: SqlTicketRepository
    accounts: SqlAccountStore  # users and API tokens
    audit: AuditService  # one per process: every audited action goes through it
    dispatches: SqlDispatchStore
    records: SqlRecordStore  # Asterisk's call records already read (the backfill)
    webhooks: SqlWebhookLog  # the deliveries to agencies
    locations: SqlLocationRepository  # every location of a ticket, references, AML messages

    def user_admin(self, passwords: Passwords | None = None, site_endpoints: SiteEndpoints = lambda: None) -> UserAdmin:
        """Account administration (``ec112 user …``; the panel's admin pages get theirs with the web auth).
        ``site_endpoints``: the SIP endpoints an account may be linked to (``config.softphone_accounts``)."""
        return UserAdmin(self.accounts, self.accounts, passwords or Passwords(), self.audit,
                         site_endpoints=site_endpoints)

    def anchoring(self, settings: Settings) -> AbstractAsyncContextManager[Anchoring]:
        """The daemon's anchors of the audit chain's head (at start, periodically, at a clean stop)."""
        return anchoring(settings, self.audit)


@asynccontextmanager
async def open_stores(settings: Settings) -> AsyncIterator[Stores]:
    """Open the configured database, migrate it to head, yield its stores; dispose the engine after.
    KeyFileError when the audit key file cannot be used (readable by others, not a key file)."""
    keyring = load_keyring(key_file(settings))
    engine = create_engine(settings.database_url, busy_timeout=settings.database.busy_timeout)
    sign_with(engine, keyring)
    try:
        await migrate(engine)
        # The tickets of calls in progress, in memory; shared by every writer of the tickets table (coherence).
        ticket_cache = TicketCache()
        yield Stores(
            engine=engine,
            tickets=SqlTicketRepository(engine, cache=ticket_cache),
            accounts=SqlAccountStore(engine),
            audit=AuditService(SqlAuditStore(engine), keyring=keyring),
            dispatches=SqlDispatchStore(engine, ticket_cache=ticket_cache),
            records=SqlRecordStore(engine),
            webhooks=SqlWebhookLog(engine),
            locations=SqlLocationRepository(engine, ticket_cache=ticket_cache),
        )
    finally:
        await engine.dispose()

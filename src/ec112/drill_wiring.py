"""Drills in the composition root (issue 14, part C): the drill service on its own store, for the web app.

Kept apart from ``daemon.py`` (one call there); no state of its own. The drill endpoint, its accountcode and the
``ec112-drill`` context are Asterisk's (asterisk-conf/); the intake and backfill read the mark by themselves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.drills import SqlDrillStore
from ec112.services.dispatch import DispatchStore
from ec112.services.drills import DrillService
from ec112.services.event_bus import EventBus
from ec112.services.ports import AuditLog, TicketRepository


def build_drills(engine: AsyncEngine, tickets: TicketRepository, dispatches: DispatchStore,
                 audit: AuditLog, bus: EventBus) -> DrillService:
    return DrillService(SqlDrillStore(engine), tickets, dispatches, audit, bus=bus)

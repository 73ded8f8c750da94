"""The recordings' part of the composition root (issue 14, part A; docs/room.md).

Builds the recordings service from ``[recording]`` and the parts the root already made, subscribes it to the bus
(ticket opened: a ``recording`` row; call ended: seal); ``RecordingService.loops()`` names its two endless tasks
(the worker that seals, the retention sweep). No state of its own.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.config.settings import Settings
from ec112.db.recordings import SqlRecordingStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.events import CallEnded, TicketOpened
from ec112.records.recording_files import DiskRecordings
from ec112.services.audit import AuditService
from ec112.services.event_bus import LocalEventBus
from ec112.services.recordings import RecordingService
from ec112.services.ticket_desk import TicketDesk

log = logging.getLogger(__name__)


def recordings_directory(settings: Settings) -> Path:
    """Where Asterisk writes the recordings, as ec112 sees it (default ``<var_dir>/recordings``)."""
    return settings.recording.directory or settings.var_dir / "recordings"


def build_recordings(settings: Settings, *, engine: AsyncEngine, tickets: SqlTicketRepository, desk: TicketDesk,
                     audit: AuditService, bus: LocalEventBus) -> RecordingService:
    rs = settings.recording
    directory = recordings_directory(settings)
    if rs.start == "off":
        log.info("recordings: [recording] start = off: 112 calls are not recorded")
    elif not directory.is_dir():
        log.warning("recordings: %s does not exist: every recording will be found missing", directory)
    service = RecordingService(SqlRecordingStore(engine), tickets, DiskRecordings(directory), desk, audit,
                               enabled=rs.start != "off", keep_days=rs.keep_days, bus=bus,
                               retention_check_seconds=rs.retention_check_seconds)
    bus.subscribe(TicketOpened, service.on_ticket_opened)
    bus.subscribe(CallEnded, service.on_call_ended)
    return service


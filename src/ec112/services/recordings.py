"""Recordings of 112 calls (issue 14, docs/room.md part A): link, seal, replay, retention.

The dialplan starts MixMonitor itself, so a call is recorded with ec112 down. ec112 only *finds* the file (it is
named after the call's Linkedid, under the UTC day: no AMI round trip), seals it once the call ended (size,
duration, sha256 — into the audit chain in the same transaction), lets the allowed people replay it (each replay
audited) and deletes it after ``keep_days``. Every piece of disk work runs in this service's one tracked worker
task, off the AMI consumer's path: ``on_call_ended`` only queues the Linkedid.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ec112.domain.accounts import User
from ec112.domain.audit import AuditDraft
from ec112.domain.errors import Forbidden, NotFound
from ec112.domain.events import EC112, CallEnded, TicketOpened
from ec112.domain.recordings import (
    FileFacts,
    Recording,
    RecordingChanged,
    RecordingState,
    candidate_paths,
    expired,
    may_replay,
    relative_path,
    sealed,
)
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import Ticket
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.ports import TicketRepository
from ec112.services.ticket_desk import TicketDesk

log = logging.getLogger(__name__)
REPLAY_WINDOW = timedelta(minutes=10)  # one audited replay per user, ticket and kind within this window


class RecordingStore(Protocol):
    async def for_ticket(self, ticket_id: int) -> Recording | None: ...

    async def add(self, rec: Recording, event: TicketEvent) -> bool: ...

    async def save(self, rec: Recording, event: TicketEvent, audit: AuditDraft | None) -> Recording: ...

    async def unsealed(self, since: datetime, limit: int = 500) -> Sequence[int]: ...

    async def ended_before(self, before: datetime, limit: int = 500) -> Sequence[Recording]: ...


class RecordingFiles(Protocol):
    def path(self, relative: str) -> Path: ...

    def exists(self, relative: str) -> bool: ...

    async def wait_closed(self, relative: str, *, quiet_seconds: float, within: float) -> None: ...

    async def inspect(self, relative: str) -> FileFacts | None: ...

    async def delete(self, relative: str) -> bool: ...


class Auditor(Protocol):
    async def record(self, actor: str, action: str, target: str | None = None, **detail: object) -> None: ...


class RecordingService:
    def __init__(self, store: RecordingStore, tickets: TicketRepository, files: RecordingFiles, desk: TicketDesk,
                 audit: Auditor, *, enabled: bool, keep_days: int, bus: EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow, quiet_seconds: float = 0.5,
                 close_timeout: float = 10.0, retention_check_seconds: float = 3600.0) -> None:
        self._store, self._tickets, self._files, self._desk, self._audit = store, tickets, files, desk, audit
        self._enabled = enabled
        self._keep = keep_days
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._quiet, self._close_timeout = quiet_seconds, close_timeout
        self._retention_check = retention_check_seconds
        self._work: asyncio.Queue[tuple[str, Ticket | str]] = asyncio.Queue()
        self._replays: dict[tuple[str, int, str], datetime] = {}

    # --- the bus (cheap: queue only) ---------------------------------------------------------------------------
    async def on_ticket_opened(self, event: TicketOpened) -> None:
        if self._enabled:
            self._work.put_nowait(("start", event.ticket))

    async def on_call_ended(self, event: CallEnded) -> None:
        if self._enabled:
            self._work.put_nowait(("end", event.linkedid))

    def loops(self) -> list[tuple[Coroutine[Any, Any, None], str]]:
        """The endless tasks, with their names (the composition root tracks them in its TaskGroup)."""
        return [(self.run(), "recordings"), (self.retention_loop(self._retention_check), "recordings-retention")]

    # --- the worker ---------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """The one worker: seal what ended while ec112 was down, then follow the calls. Errors are logged, the
        worker goes on (the next start's catch-up seals what a failure left)."""
        if self._enabled:
            try:
                await self.catch_up()
            except Exception:
                log.exception("recordings: catch-up at start failed")
        while True:
            kind, item = await self._work.get()
            try:
                if kind == "start" and isinstance(item, Ticket):
                    await self.start(item)
                elif kind == "catch-up":
                    await self.catch_up()
                elif isinstance(item, str):
                    await self.seal_call(item)
            except Exception:
                log.exception("recordings: %s failed", kind)

    async def start(self, ticket: Ticket) -> None:
        rec = Recording(ticket.id, ticket.linkedid, relative_path(ticket.linkedid, ticket.arrived_at),
                        RecordingState.RECORDING, ticket.arrived_at)
        event = TicketEvent(ticket.id, self._clock(), "recording.started", EC112, {"file": rec.path})
        if await self._store.add(rec, event):
            await self._publish(rec, self._desk.number(ticket))

    async def seal_call(self, linkedid: str) -> Recording | None:
        ticket = await self._tickets.get_by_linkedid(linkedid)
        if ticket is None:
            return None  # not a 112 call's Linkedid (a callback, a spy session…)
        return await self.seal(ticket, ticket.ended_at or self._clock())

    async def catch_up(self) -> int:
        """Seal the calls that ended while ec112 was down (or before their seal was written)."""
        count = 0
        since = self._clock() - timedelta(days=self._keep)
        for ticket_id in await self._store.unsealed(since):
            ticket = await self._tickets.get(ticket_id)
            if ticket is not None and ticket.ended_at is not None:
                await self.seal(ticket, ticket.ended_at)
                count += 1
        if count:
            log.info("recordings: %d calls that ended while ec112 was away sealed", count)
        return count

    async def seal(self, ticket: Ticket, ended: datetime) -> Recording:
        ticket_id, linkedid, arrived = ticket.id, ticket.linkedid, ticket.arrived_at
        current = await self._store.for_ticket(ticket_id)
        if current is not None and current.state is not RecordingState.RECORDING:
            return current  # sealed (or found missing) already
        found = next((p for p in candidate_paths(linkedid, arrived) if self._files.exists(p)), None)
        rec = current or Recording(ticket_id, linkedid, relative_path(linkedid, arrived), RecordingState.RECORDING,
                                   arrived)
        number = self._desk.number(ticket)
        facts = None
        if found is not None:
            await self._files.wait_closed(found, quiet_seconds=self._quiet, within=self._close_timeout)
            facts = await self._files.inspect(found)
        at = self._clock()
        if facts is None:
            done = Recording(ticket_id, linkedid, rec.path, RecordingState.MISSING, rec.started_at, ended)
            detail: dict[str, object] = {"file": rec.path}
        else:
            done = sealed(Recording(ticket_id, linkedid, found or rec.path, rec.state, rec.started_at), facts, ended)
            detail = {"sha256": facts.sha256, "bytes": facts.size_bytes, "seconds": facts.duration_seconds,
                      "file": done.path}
        action = f"recording.{'sealed' if done.state is RecordingState.SEALED else done.state.value}"
        await self._store.save(done, TicketEvent(ticket_id, at, action, EC112, dict(detail)),
                               AuditDraft(EC112, action, number, detail))
        if done.state is not RecordingState.SEALED:
            log.warning("recording of ticket %s is %s (%s)", number, done.state.value, done.path)
        await self._publish(done, number)
        return done

    # --- retention ----------------------------------------------------------------------------------------------
    async def retention_loop(self, interval: float) -> None:
        """Every ``interval``: the worker seals calls it never saw end (backfilled from Asterisk's records after
        the start), then the expired files are deleted."""
        while True:
            if self._enabled:
                self._work.put_nowait(("catch-up", ""))
            try:
                await self.sweep()
            except Exception:
                log.exception("recordings: retention sweep failed")
            await asyncio.sleep(interval)

    async def sweep(self) -> int:
        """Delete the files of calls that ended more than ``keep_days`` ago: one log line and audit entry each."""
        now = self._clock()
        deleted = 0
        for rec in await self._store.ended_before(now - timedelta(days=self._keep)):
            if not expired(rec, now, self._keep):
                continue
            existed = await self._files.delete(rec.path)
            gone = Recording(rec.ticket_id, rec.linkedid, rec.path, RecordingState.DELETED, rec.started_at,
                             rec.ended_at, rec.duration_seconds, rec.size_bytes, rec.sha256, now)
            ticket = await self._tickets.get(rec.ticket_id)
            number = self._desk.number(ticket) if ticket else str(rec.ticket_id)
            detail = {"file": rec.path, "sha256": rec.sha256, "keep_days": self._keep, "file_was_there": existed}
            await self._store.save(gone, TicketEvent(rec.ticket_id, now, "recording.deleted", EC112, dict(detail)),
                                   AuditDraft(EC112, "recording.deleted", number, detail))
            log.info("recording deleted after %d days: ticket %s, file %s", self._keep, number, rec.path)
            await self._publish(gone, number)
            deleted += 1
        return deleted

    # --- replay -------------------------------------------------------------------------------------------------
    async def info(self, ref: str) -> tuple[Ticket, Recording | None]:
        ticket = await self._desk.find(ref)
        return ticket, await self._store.for_ticket(ticket.id)

    async def for_ticket(self, ticket_id: int) -> Recording | None:
        """``services.ports.RecordingLookup``."""
        return await self._store.for_ticket(ticket_id)

    async def open_for(self, ref: str, user: User, *, download: bool) -> tuple[Ticket, Recording, Path]:
        """The file to send to ``user``; ``Forbidden`` unless she may; ``NotFound`` when there is nothing to play.
        Audited once per user, ticket and kind in ``REPLAY_WINDOW`` (a browser's Range requests are one replay)."""
        ticket = await self._desk.find(ref)
        if not may_replay(user, ticket):
            raise Forbidden("only a supervisor or the call taker who answered this call may hear its recording / "
                            "hanya supervisor atau penerima panggilan ini yang boleh mendengar rekamannya")
        rec = await self._store.for_ticket(ticket.id)
        if rec is None or not rec.playable or not self._files.exists(rec.path):
            raise NotFound(f"no recording to play for ticket {ref} / tidak ada rekaman")
        kind = "recording.downloaded" if download else "recording.played"
        now = self._clock()
        key = (user.username, ticket.id, kind)
        last = self._replays.get(key)
        if last is None or now - last > REPLAY_WINDOW:
            self._replays = {k: v for k, v in self._replays.items() if now - v <= REPLAY_WINDOW}
            self._replays[key] = now
            await self._audit.record(user.username, kind, self._desk.number(ticket), file=rec.path, sha256=rec.sha256)
        return ticket, rec, self._files.path(rec.path)

    async def _publish(self, rec: Recording, number: str) -> None:
        await self._bus.publish(RecordingChanged(at=self._clock(), actor=EC112, recording=rec, ticket_number=number))

"""Backfill: tickets for the 112 calls ec112 missed, from Asterisk's own records (CDR + queue_log).

While ec112 is down, frozen or restarting, the dialplan still queues every 112 call (fail open) and
Asterisk still writes its records. This service reads them back — at start-up before AMI connects, then
every ``interval`` — and for every 112 call that has ended:

- without a ticket: opens one (intake ``backfill``) with the arrival, queue, answer and end times and the
  caller, as the live path would have;
- with a ticket: fills what the live path missed (an end whose Hangup was missed, an answer) by the same
  rules (``domain.recorded_calls.reconcile``).

The ticket's Linkedid makes it idempotent with the live path and with itself. When the database is locked
or down, a pass fails and the next one tries again: nothing read is lost (file positions move on only
together with what was read), so a ticket that could not be written at the call is written when possible.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from ec112.domain.recorded_calls import FilePosition, RecordedCall, changed_fields, reconcile
from ec112.domain.tickets import IntakeChannel
from ec112.services.health import ComponentHealth
from ec112.services.intake import IntakeService, utcnow
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)
_PRUNE_EVERY = timedelta(hours=1)
_SETTLE_LIMIT = 500  # calls settled per pass; the rest on the next


class FileState(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def ok(self) -> bool: ...
    @property
    def detail(self) -> str: ...


class Batch(Protocol):
    @property
    def calls(self) -> Sequence[RecordedCall]: ...
    @property
    def positions(self) -> Mapping[str, FilePosition]: ...
    @property
    def drained(self) -> bool: ...
    @property
    def status(self) -> Sequence[FileState]: ...


class RecordSource(Protocol):
    """Asterisk's record files (``ec112.records.AsteriskRecords``); blocking, run in a thread."""

    def read(self, positions: Mapping[str, FilePosition]) -> Batch: ...

    def status(self) -> Sequence[FileState]: ...


class RecordStore(Protocol):
    """``ec112.db.records.SqlRecordStore``."""

    async def positions(self) -> dict[str, FilePosition]: ...

    async def record(self, parts: Sequence[RecordedCall], positions: Mapping[str, FilePosition],
                     now: datetime) -> int: ...

    async def unsettled(self, limit: int) -> list[RecordedCall]: ...

    async def settled(self, linkedid: str, at: datetime) -> None: ...

    async def prune(self, before: datetime) -> int: ...


class BackfillService:
    def __init__(self, source: RecordSource, store: RecordStore, tickets: TicketRepository, intake: IntakeService,
                 *, interval: float, max_age: timedelta, max_reads_per_pass: int = 64,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._source = source
        self._store = store
        self._tickets = tickets
        self._intake = intake
        self._interval = interval
        self._max_age = max_age
        self._max_reads = max_reads_per_pass
        self._clock = clock
        self._files: Sequence[FileState] = ()
        self._last_error: str | None = None
        self._last_pass: datetime | None = None
        self._pruned_at: datetime | None = None
        self.first_pass = asyncio.Event()  # set once the start-up pass is over (done or failed)

    def check_files(self) -> None:
        """Log (WARNING) each configured record file that is missing or unreadable; at start-up."""
        self._files = self._source.status()
        for f in self._files:
            if not f.ok:
                log.warning("Asterisk records: %s %s is %s; calls missed while ec112 is away get no ticket "
                            "from it (see README, \"Backfill\")", f.name, f.path, f.detail)

    def health(self) -> ComponentHealth:
        """For /readyz: never a failure (the live path works without it), but says what is missing."""
        files = ", ".join(f"{f.name} {f.detail}" + (f" ({f.path})" if not f.ok else "") for f in self._files)
        detail = files or "not checked yet"
        if self._last_error:
            detail += f"; last pass failed: {self._last_error}"
        return ComponentHealth(True, detail, self._last_pass)

    async def run(self) -> None:
        """Pass after pass until cancelled; a failed pass (database locked, say) is retried at the next."""
        while True:
            try:
                await self.run_once()
                self._last_error = None
            except Exception as exc:  # noqa: BLE001 - reported, retried; the live path is unaffected
                # only the first line: a database error's later lines carry the statement's parameters
                self._last_error = f"{type(exc).__name__}: {str(exc).split(chr(10), 1)[0][:200]}"
                log.warning("backfill pass failed (%s); retrying in %.0f s", self._last_error, self._interval)
            finally:
                self.first_pass.set()
            await asyncio.sleep(self._interval)

    async def run_once(self) -> int:
        """Read what is new, then settle the ended calls; returns how many tickets were opened or filled."""
        positions = await self._store.positions()
        drained = False
        for _ in range(self._max_reads):
            batch = await asyncio.to_thread(self._source.read, positions)
            self._note_files(batch.status)
            now = self._clock()
            parts = [p for p in batch.calls if (p.latest() or now) >= now - self._max_age]
            moved = {k: v for k, v in batch.positions.items() if positions.get(k) != v}
            if parts or moved:
                await self._store.record(parts, moved, now)
                positions = {**positions, **moved}
            if batch.drained:
                drained = True
                break
        self._last_pass = self._clock()
        if not drained:  # a queue line of a call whose CDR was read may still be unread: settle next time
            return 0
        done = 0
        for call in await self._store.unsettled(_SETTLE_LIMIT):
            done += await self._settle(call)
        await self._prune()
        return done

    async def _settle(self, call: RecordedCall) -> int:
        ticket = await self._tickets.get_by_linkedid(call.linkedid)
        created = False
        if ticket is None:
            _, created = await self._intake.open_ticket(
                linkedid=call.linkedid, uniqueid=call.linkedid, channel=call.channel or "",
                caller_number=call.caller_number, caller_name=call.caller_name,
                intake=IntakeChannel.BACKFILL, arrived_at=call.arrived_at, exercise=call.exercise,
            )
            ticket = await self._tickets.get_by_linkedid(call.linkedid)  # as the open hooks left it
            if ticket is None:
                raise LookupError(f"ticket of {call.linkedid} vanished after opening")
        filled = reconcile(ticket, call)
        touched = 0
        if filled != ticket:
            await self._tickets.save(filled)
            touched = 1
            if not created:  # a new one was logged as opened by the intake
                log.info("ticket %s: %s filled from Asterisk's records", self._intake.number(ticket),
                         ", ".join(changed_fields(ticket, filled)))
        await self._store.settled(call.linkedid, self._clock())
        return touched

    def _note_files(self, status: Sequence[FileState]) -> None:
        before = {f.name: f.ok for f in self._files}
        for f in status:
            if before.get(f.name) is False and f.ok:
                log.info("Asterisk records: %s %s is readable again", f.name, f.path)
            elif before.get(f.name) is True and not f.ok:
                log.warning("Asterisk records: %s %s is %s", f.name, f.path, f.detail)
        self._files = status

    async def _prune(self) -> None:
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        gone = await self._store.prune(now - self._max_age)
        if gone:
            log.info("backfill: forgot %d recorded calls older than %s", gone, self._max_age)

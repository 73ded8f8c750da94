"""What the room sees of junk calls: a caller's repeat score and short history (the console, before she answers),
today's junk share (the wallboard) and pocket-dial waves (the wallboard's alert).

Nothing here is on the intake path. Profiles are read when a console asks (cached a few seconds per number);
waves are detected from the live events presence already publishes (``CallChanged`` / ``CallEnded``) and from
classifications (``TicketChanged``), all in memory.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ec112.domain.events import EC112, CallChanged, CallEnded, TicketChanged
from ec112.domain.junk_calls import (
    JUNK_CLASSES,
    CallerMeasure,
    JunkShare,
    PastCall,
    RepeatScore,
    Wave,
    WaveDetector,
    WaveFlagged,
    repeat_score,
)
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.junk_calls import JunkCallService

log = logging.getLogger(__name__)
PROFILE_TTL_SECONDS = 10.0
PROFILE_CACHE = 512
HISTORY_LIMIT = 200  # calls read per profile (a number calling more than that is a "repeat" anyway)
SHOWN_CALLS = 5
SHORT_CALL = timedelta(seconds=15)  # a call that ends unanswered this soon: a pocket dial's pattern
_TRACKED_CALLS = 4096


@dataclass(frozen=True, slots=True)
class CallerProfile:
    number: str
    score: RepeatScore
    recent: tuple[PastCall, ...]  # newest first, the current call left out
    measures: tuple[CallerMeasure, ...]  # in force now
    imeis: int  # handsets seen with this number in AML


class JunkWatch:
    def __init__(self, junk: JunkCallService, *, tz: tzinfo, wave_window_seconds: int, wave_min_numbers: int,
                 bus: EventBus | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self._junk = junk
        self._store = junk.store
        self._tz = tz
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._waves = WaveDetector(timedelta(seconds=wave_window_seconds), wave_min_numbers)
        self._calls: OrderedDict[str, tuple[str, datetime, bool]] = OrderedDict()  # linkedid → number, start, answered
        self._profiles: OrderedDict[str, tuple[float, CallerProfile]] = OrderedDict()

    # --- the console's card -------------------------------------------------------------------------------

    async def profile(self, number: str, *, current_ticket: str | None = None) -> CallerProfile:
        cached = self._profiles.get(number)
        if cached is None or time.monotonic() - cached[0] > PROFILE_TTL_SECONDS:
            cached = (time.monotonic(), await self._read_profile(number))
            self._profiles[number] = cached
            self._profiles.move_to_end(number)
            while len(self._profiles) > PROFILE_CACHE:
                self._profiles.popitem(last=False)
        profile = cached[1]
        # The measures from memory every time: a measure set a second ago shows at once, not after the cache.
        calls = [c for c in profile.recent if c.ticket != current_ticket]
        return CallerProfile(profile.number, profile.score, tuple(calls[:SHOWN_CALLS]),
                             tuple(self._junk.on_number(number)), profile.imeis)

    async def _read_profile(self, number: str) -> CallerProfile:
        now = self._clock()
        since = now - self._junk.history
        imeis = await self._store.imeis_of_number(number, since=since)
        numbers = {number} | set().union(*(await self._store.numbers_of_imei(imeis, since=since)).values())
        calls = await self._store.past_calls(numbers, since=since, limit=HISTORY_LIMIT)
        # The call being offered is not history yet: an unanswered call still ringing would count as junk.
        history = [c for c in calls if c.answered or c.classification is not None or now - c.at > SHORT_CALL]
        return CallerProfile(number, repeat_score(history, now), tuple(calls[:SHOWN_CALLS + 1]),
                             tuple(self._junk.on_number(number)), len(imeis))

    def forget(self, number: str | None) -> None:
        if number:
            self._profiles.pop(number, None)

    # --- the wallboard ------------------------------------------------------------------------------------

    async def share_today(self) -> JunkShare:
        now = self._clock()
        local = now.astimezone(self._tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        counts = await self._store.classified_counts(since=midnight)
        junk = sum(n for c, n in counts.items() if c in JUNK_CLASSES)
        return JunkShare(sum(counts.values()), junk, counts)

    def waves(self) -> list[Wave]:
        return self._waves.current(self._clock())

    # --- bus subscribers (in memory; a wave is published from here) ------------------------------------------

    def on_call_changed(self, event: CallChanged) -> None:
        call = event.call
        number = call.caller_number or f"withheld:{call.linkedid}"
        known = self._calls.get(call.linkedid)
        answered = call.state == "talking" or (known is not None and known[2])
        self._calls[call.linkedid] = (number, call.started_at, answered)
        while len(self._calls) > _TRACKED_CALLS:
            self._calls.popitem(last=False)

    async def on_call_ended(self, event: CallEnded) -> None:
        found = self._calls.pop(event.linkedid, None)
        if found is None:
            return
        number, started, answered = found
        self.forget(number)
        if not answered and event.at - started <= SHORT_CALL:
            await self._observe(number, event.at, "short_unanswered")

    async def on_ticket_changed(self, event: TicketChanged) -> None:
        ticket = event.ticket
        self.forget(ticket.caller_number_e164)
        if event.kind == "classified" and ticket.classification == "ghost":
            await self._observe(ticket.caller_number_e164 or f"withheld:{ticket.id}", event.at, "ghost")

    async def _observe(self, number: str, at: datetime, pattern: str) -> None:
        wave = self._waves.observe(number, at, pattern)
        if wave is not None:
            log.warning("pocket-dial wave: %d numbers with pattern %s since %s", wave.numbers, wave.pattern,
                        wave.since.isoformat(timespec="seconds"))
            await self._bus.publish(WaveFlagged(at=at, actor=EC112, wave=wave))

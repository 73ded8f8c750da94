"""The replay service on SQLite and PostgreSQL: the ticket's stored events, its location reports and its recording
on one axis. The recording comes through ``RecordingLookup``; the recordings part (A) implements it apart, so here
a small test-only lookup reads a real WAV file written by the test (its length from the file itself)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.config.agencies_file import load_agencies
from ec112.db.locations import SqlLocationRepository
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.location import Location, LocationSource
from ec112.domain.recordings import Recording, RecordingState
from ec112.domain.ticket_work import Classification, ClassificationInput
from ec112.domain.tickets import IntakeChannel, NewCall, answered, ended
from ec112.services.replay import ReplayService
from ec112.services.ticket_desk import TicketDesk

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)


@dataclass
class WavLookup:
    """Test-only: the ticket's recording is one WAV file; sealed with the length the file says."""

    path: Path
    ticket_id: int
    started_at: datetime

    async def for_ticket(self, ticket_id: int) -> Recording | None:
        if ticket_id != self.ticket_id:
            return None
        with wave.open(str(self.path)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        return Recording(ticket_id, "rp1", str(self.path), RecordingState.SEALED, self.started_at,
                         ended_at=self.started_at + timedelta(seconds=seconds), duration_seconds=seconds,
                         size_bytes=self.path.stat().st_size)


def _wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * int(8000 * seconds))
    return path


async def test_replay_of_a_recorded_located_classified_call(engine: AsyncEngine, tmp_path: Path) -> None:
    tickets, locations = SqlTicketRepository(engine), SqlLocationRepository(engine)
    fix = Location(-1.26, 116.83, 40.0, LocationSource.PIDF_LO, T0, "GPS")
    ticket, _ = await tickets.open(NewCall("rp1", "rp1", "PJSIP/trunk-1", "0813", "+62813", None, T0,
                                           IntakeChannel.AGI, fix))
    await tickets.save(ended(answered(ticket, "taker01", T0 + timedelta(seconds=4)), T0 + timedelta(seconds=50)))
    categories, _directory = load_agencies()
    desk = TicketDesk(tickets, categories=categories, ticket_prefix="112",
                      clock=lambda: T0 + timedelta(seconds=30))
    await desk.classify(str(ticket.id), ClassificationInput(Classification.EMERGENCY, "kebakaran"), revision=None,
                        actor="taker01")
    lookup = WavLookup(_wav(tmp_path / "rp1.wav", 2.5), ticket.id, T0 + timedelta(seconds=1))

    replay = await ReplayService(desk, tickets, locations, lookup).replay(ticket.number("112"))
    assert [(s.kind, s.offset_seconds) for s in replay.steps] == [
        ("arrived", 0.0), ("location", 0.0), ("recording.started", 1.0), ("queued", 4.0), ("answered", 4.0),
        ("classified", 30.0), ("ended", 50.0)]
    assert replay.recording is not None
    assert (replay.recording.url, replay.recording.state, replay.recording.duration_seconds) == (
        f"/api/tickets/{ticket.number('112')}/recording", "sealed", 2.5)
    assert replay.duration_seconds == 50.0

    unrecorded = await ReplayService(desk, tickets, locations, None).replay(str(ticket.id))
    assert unrecorded.recording is None
    assert "recording.started" not in [s.kind for s in unrecorded.steps]

"""A 112 call's recording over real HTTP (the real app, uvicorn, SQLite, real WAV files on disk; issue 14, part A).

Who may play it (the call taker who answered, a supervisor; not another call taker: 403), HTTP Range (206, the
bytes asked for: a seekable <audio>), download as an attachment, each replay audited once (not per Range chunk),
the ticket page's player / state lines (missing, unreadable), calls sealed at start, and retention.
"""

from __future__ import annotations

import hashlib
import logging
import math
import struct
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.db.recordings import SqlRecordingStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered, ended
from ec112.records.recording_files import DiskRecordings
from ec112.services.recordings import RecordingService
from ec112.services.ticket_desk import TicketDesk


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _call(stack: WebStack, n: int, *, by: str | None = "taker01") -> Ticket:
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC) - timedelta(minutes=2)
    ticket, _ = await repo.open(NewCall(f"lab-{n}.0", f"lab-{n}.0", f"PJSIP/trunk-0000000{n}", "+6281311110000",
                                        "+6281311110000", None, arrived, IntakeChannel.AGI))
    if by is not None:
        ticket = answered(ticket, by, arrived + timedelta(seconds=4))
    ticket = ended(ticket, arrived + timedelta(seconds=64))
    await repo.save(ticket)
    return ticket


def _wav(stack_dir: Path, ticket: Ticket, seconds: float) -> Path:
    """What MixMonitor writes: 8 kHz 16-bit mono, under <dir>/<YYYY>/<MM>/<DD>/<linkedid>.wav."""
    target = stack_dir / "recordings" / f"{ticket.arrived_at:%Y/%m/%d}" / f"{ticket.linkedid}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 3))) for i in range(int(seconds * 8000))))
    return target


async def _actions(stack: WebStack, action: str) -> list[tuple[str, str | None]]:
    return [(e.actor, e.target) for e in await stack.audit.recent(100) if e.action == action]


async def test_the_taker_who_answered_plays_seeks_and_downloads_once_audited_others_get_403(
    stack: WebStack, tmp_path: Path
) -> None:
    assert stack.recordings is not None
    call = await _call(stack, 1)
    number = call.number("112")
    wav = _wav(tmp_path, call, 3.0)
    rec = await stack.recordings.seal_call(call.linkedid)
    assert rec is not None
    assert rec.state.value == "sealed"
    assert rec.sha256 == hashlib.sha256(wav.read_bytes()).hexdigest()
    sealed = [e for e in await stack.audit.recent(100) if e.action == "recording.sealed"]
    assert [(e.target, e.detail["sha256"], e.detail["seconds"]) for e in sealed] == [(number, rec.sha256, 3.0)]

    taker, _ = await logged_in(stack, "taker01")
    other, _ = await logged_in(stack, "taker02")
    spv, _ = await logged_in(stack, "spv")
    try:
        url = f"/api/tickets/{number}/recording"
        info = (await taker.get(f"{url}/info")).json()
        assert info["state"] == "sealed"
        assert info["duration_seconds"] == 3.0
        assert info["url"] == url
        assert (await other.get(f"{url}/info")).json()["url"] is None  # may see the state, not play it

        first = await taker.get(url, headers={"Range": "bytes=0-99"})
        assert first.status_code == 206
        assert first.headers["content-type"] == "audio/wav"
        assert first.headers["content-range"] == f"bytes 0-99/{wav.stat().st_size}"
        assert first.content == wav.read_bytes()[:100]
        seek = await taker.get(url, headers={"Range": "bytes=24000-"})  # a seek to ~1.5 s
        assert seek.status_code == 206
        assert seek.content == wav.read_bytes()[24000:]
        whole = await taker.get(url)
        assert whole.status_code == 200
        assert whole.content == wav.read_bytes()
        assert await _actions(stack, "recording.played") == [("taker01", number)]  # one replay, three requests

        download = await taker.get(f"{url}?download=1")
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment")
        assert f"{number}.wav" in download.headers["content-disposition"]
        assert await _actions(stack, "recording.downloaded") == [("taker01", number)]

        for path in (url, f"{url}?download=1"):
            refused = await other.get(path)
            assert refused.status_code == 403, refused.text
        assert (await spv.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
        assert ("spv", number) in await _actions(stack, "recording.played")
        assert all(actor != "taker02" for actor, _ in await _actions(stack, "recording.played"))

        page = (await taker.get(f"/tickets/{number}")).text
        assert f'<audio id="ticket-recording-audio" controls preload="metadata" src="{url}">' in page
        assert f'href="{url}?download=1"' in page
        other_page = (await other.get(f"/tickets/{number}")).text
        assert "<audio" not in other_page
        assert "hanya supervisor atau penerima panggilan ini yang boleh mendengarkan" in other_page
    finally:
        for client in (taker, other, spv):
            await client.aclose()


async def test_missing_and_unreadable_recordings_are_shown_as_such(stack: WebStack, tmp_path: Path) -> None:
    assert stack.recordings is not None
    missing, broken = await _call(stack, 2), await _call(stack, 3)
    garbage = _wav(tmp_path, broken, 0.1)
    garbage.write_bytes(b"not a wav at all")
    assert (await stack.recordings.seal_call(missing.linkedid)).state.value == "missing"  # type: ignore[union-attr]
    assert (await stack.recordings.seal_call(broken.linkedid)).state.value == "unreadable"  # type: ignore[union-attr]
    taker, _ = await logged_in(stack, "taker01")
    try:
        page = (await taker.get(f"/tickets/{missing.number('112')}")).text
        assert 'data-state="missing"' in page
        assert "Rekaman hilang" in page
        assert "<audio" not in page
        page = (await taker.get(f"/tickets/{broken.number('112')}")).text
        assert 'data-state="unreadable"' in page
        assert "Rekaman tidak terbaca" in page
        assert (await taker.get(f"/api/tickets/{missing.number('112')}/recording")).status_code == 404
    finally:
        await taker.aclose()
    assert {t for _, t in await _actions(stack, "recording.missing")} == {missing.number("112")}


async def test_calls_ended_while_ec112_was_down_are_sealed_at_start_and_retention_deletes_old_files(
    stack: WebStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    call = await _call(stack, 4)
    wav = _wav(tmp_path, call, 1.0)
    store, tickets = SqlRecordingStore(stack.engine), SqlTicketRepository(stack.engine)
    desk = TicketDesk(tickets, categories=None, ticket_prefix="112")  # type: ignore[arg-type]
    later = datetime.now(UTC) + timedelta(days=91)

    def service(now: datetime) -> RecordingService:
        return RecordingService(store, tickets, DiskRecordings(tmp_path / "recordings"), desk, stack.audit,
                                enabled=True, keep_days=90, clock=lambda: now, quiet_seconds=0.01)

    assert await service(datetime.now(UTC)).catch_up() == 1  # no row yet: the call ended while ec112 was down
    assert (await store.for_ticket(call.id)).state.value == "sealed"  # type: ignore[union-attr]
    assert await service(datetime.now(UTC)).sweep() == 0  # not old enough
    assert wav.exists()
    with caplog.at_level(logging.INFO, logger="ec112.services.recordings"):
        assert await service(later).sweep() == 1
    assert not wav.exists()
    gone = await store.for_ticket(call.id)
    assert gone is not None
    assert gone.state.value == "deleted"
    assert gone.sha256 is not None
    assert f"recording deleted after 90 days: ticket {call.number('112')}" in caplog.text
    assert "6281311110000" not in caplog.text
    assert await _actions(stack, "recording.deleted") == [("ec112", call.number("112"))]
    assert await service(later).sweep() == 0  # once


async def test_a_request_without_a_session_is_refused(stack: WebStack) -> None:
    call = await _call(stack, 5)
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get(f"/api/tickets/{call.number('112')}/recording")).status_code == 401

"""Listen, whisper, barge over real HTTP (the real app, uvicorn, SQLite; Asterisk's side replaced by a recording
dialer, its ChanSpyStart/ChanSpyStop fed through the AMI adapter's translator).

Who may (supervisors with a phone; a call taker gets 403 from the API and the wallboard panel), 409 when the taker
has no live call or is listened to already or the phone has not answered, the session's life as the JSON API,
the live stream's ``spy`` events, the wallboard panel and the audit trail show it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.ami.events import translate
from ec112.domain.accounts import NewUser, Role
from ec112.domain.call_events import ChannelRow
from ec112.web.live_feed import LiveMessage

TAKER_CHANNEL = "PJSIP/taker01-0000000a"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        await s.users.add("cli", NewUser("budi", "Budi Pengawas", Role.SUPERVISOR, "spv01"), "budi-sandi-123")
        yield s


async def _ami(stack: WebStack, event: str, **fields: str) -> None:
    typed = translate({"Event": event, "Timestamp": f"{time.time():.6f}", "Queue": "112", **fields},
                      datetime.now(UTC))
    assert typed is not None
    assert stack.presence is not None
    assert stack.spy is not None
    await stack.presence.apply(typed)
    await stack.spy.apply(typed)


async def _busy_taker(stack: WebStack) -> None:
    """taker01 in the queue and on a call (linkedid l1), her channel live in Asterisk."""
    member = {"MemberName": "taker01", "Interface": "PJSIP/taker01", "StateInterface": "PJSIP/taker01"}
    await _ami(stack, "QueueMemberAdded", Status="1", Paused="0", InCall="0", CallsTaken="0", **member)
    await _ami(stack, "Newchannel", Context="ec112-from-trunk", Exten="112", Channel="PJSIP/trunk-00000001",
               CallerIDNum="+6281311112222", Uniqueid="l1", Linkedid="l1")
    await _ami(stack, "AgentConnect", Linkedid="l1", **member)
    stack.telephony.channels = [
        ChannelRow("PJSIP/trunk-00000001", "l1", "l1", "ec112-emergency", "112", None, None, "b1", timedelta(0)),
        ChannelRow(TAKER_CHANNEL, "l1.2", "l1", "ec112-from-takers", None, None, None, "b1", timedelta(0))]


def _spy_events(queue: asyncio.Queue[LiveMessage]) -> list[tuple[str, str, str]]:
    found = []
    while not queue.empty():
        message = queue.get_nowait()
        if message.kind == "spy":
            found.append((message.data["change"], message.data["mode"], message.data["state"]))
    return found


async def test_a_supervisor_listens_whispers_barges_and_leaves(stack: WebStack) -> None:
    assert stack.feed is not None
    assert stack.spy_dialer is not None
    live = stack.feed.subscribe()
    await _busy_taker(stack)
    taker, taker_headers = await logged_in(stack, "taker01")
    boss, headers = await logged_in(stack, "budi", "budi-sandi-123")
    nophone, nophone_headers = await logged_in(stack, "spv")
    try:
        # A call taker may not (API and wallboard panel); a supervisor without a phone cannot.
        denied = await taker.post("/api/spy", json={"taker": "taker01", "mode": "listen"}, headers=taker_headers)
        assert denied.status_code == 403
        assert (await taker.get("/wallboard/spy")).status_code == 403
        assert (await taker.get("/api/spy")).status_code == 403
        refused = await nophone.post("/api/spy", json={"taker": "taker01"}, headers=nophone_headers)
        assert refused.status_code == 409
        assert "no phone" in refused.json()["message"]
        idle = await boss.post("/api/spy", json={"taker": "taker02", "mode": "listen"}, headers=headers)
        assert idle.status_code == 409
        assert "no live call" in idle.json()["message"]
        bad = await boss.post("/api/spy", json={"taker": "taker01", "mode": "shout"}, headers=headers)
        assert bad.status_code == 422
        assert stack.spy_dialer.asked == []

        started = await boss.post("/api/spy", json={"taker": "taker01", "mode": "listen"}, headers=headers)
        assert started.status_code == 202, started.text
        session = started.json()
        assert (session["supervisor"], session["phone"], session["taker"], session["mode"], session["state"]) == (
            "budi", "spv01", "taker01", "listen", "ringing")
        assert stack.spy_dialer.asked == [("ring", session["id"], "listen")]
        again = await boss.post("/api/spy", json={"taker": "taker01", "mode": "barge"}, headers=headers)
        assert again.status_code == 409  # one supervisor on her call at a time
        early = await boss.post(f"/api/spy/{session['id']}/mode", json={"mode": "whisper"}, headers=headers)
        assert early.status_code == 409  # his phone has not answered yet

        spyer = {"SpyerChannel": "PJSIP/spv01-0000000b", "SpyerUniqueid": session["id"],
                 "SpyeeChannel": TAKER_CHANNEL}
        await _ami(stack, "ChanSpyStart", **spyer)
        assert [s["state"] for s in (await boss.get("/api/spy")).json()] == ["active"]
        switched = await boss.post(f"/api/spy/{session['id']}/mode", json={"mode": "whisper"}, headers=headers)
        assert switched.status_code == 200, switched.text
        assert switched.json()["state"] == "switching"
        await _ami(stack, "ChanSpyStop", **spyer)  # the Redirect ends the first ChanSpy: the session stays
        await _ami(stack, "ChanSpyStart", **spyer)
        [now] = (await boss.get("/api/spy")).json()
        assert (now["mode"], now["state"]) == ("whisper", "active")

        # The wallboard panel: the session and the buttons; barge from there.
        panel = (await boss.get("/wallboard/spy")).text
        assert 'data-spy-taker="taker01" data-spy-mode="whisper" data-spy-state="active"' in panel
        assert "Bisik" in panel
        assert "Tinggalkan" in panel
        pressed = await boss.post("/wallboard/spy/mode", data={"session": session["id"], "mode": "barge"},
                                  headers=headers)
        assert pressed.status_code == 200
        assert 'data-spy-mode="barge"' in pressed.text
        await _ami(stack, "ChanSpyStop", **spyer)
        await _ami(stack, "ChanSpyStart", **spyer)

        left = await boss.delete(f"/api/spy/{session['id']}", headers=headers)
        assert left.status_code == 200
        assert stack.spy_dialer.asked[1:] == [("redirect", session["id"], "whisper"),
                                              ("redirect", session["id"], "barge"), ("hangup", session["id"], "")]
        assert (await boss.get("/api/spy")).json() == []
        await _ami(stack, "ChanSpyStop", **spyer)  # Asterisk's own report of it afterwards changes nothing
        gone = await boss.delete(f"/api/spy/{session['id']}", headers=headers)
        assert gone.status_code == 404
        assert _spy_events(live) == [("started", "listen", "ringing"), ("active", "listen", "active"),
                                     ("mode", "whisper", "switching"), ("active", "whisper", "active"),
                                     ("mode", "barge", "switching"), ("active", "barge", "active"),
                                     ("stopped", "barge", "active")]
        admin, _ = await logged_in(stack, "admin")
        audit = [(e["actor"], e["action"], e["target"], e["detail"].get("mode"))
                 for e in (await admin.get("/api/audit")).json() if e["action"].startswith("spy.")]
        await admin.aclose()
        assert list(reversed(audit)) == [("budi", "spy.started", "taker01", "listen"),
                                         ("budi", "spy.mode", "taker01", "whisper"),
                                         ("budi", "spy.mode", "taker01", "barge"),
                                         ("budi", "spy.stopped", "taker01", "barge")]
    finally:
        for client in (taker, boss, nophone):
            await client.aclose()


async def test_the_session_ends_when_the_call_does(stack: WebStack) -> None:
    """ChanSpy's E option: the taker's channel hung up, ChanSpy stops on its own; so does his phone's hang-up."""
    await _busy_taker(stack)
    boss, headers = await logged_in(stack, "budi", "budi-sandi-123")
    try:
        first = (await boss.post("/api/spy", json={"taker": "taker01", "mode": "barge"}, headers=headers)).json()
        await _ami(stack, "ChanSpyStart", SpyerChannel="PJSIP/spv01-0000000c", SpyerUniqueid=first["id"],
                   SpyeeChannel=TAKER_CHANNEL)
        await _ami(stack, "ChanSpyStop", SpyerChannel="PJSIP/spv01-0000000c", SpyerUniqueid=first["id"])
        assert (await boss.get("/api/spy")).json() == []
        second = (await boss.post("/api/spy", json={"taker": "taker01"}, headers=headers)).json()
        assert second["mode"] == "listen"
        await _ami(stack, "Hangup", Channel="PJSIP/spv01-0000000d", Uniqueid=second["id"], Linkedid=second["id"])
        assert (await boss.get("/api/spy")).json() == []  # he did not answer: his phone's channel went away
        panel = (await boss.get("/wallboard/spy")).text
        assert re.search(r'<button type="button" class="spy-listen" hx-post="/wallboard/spy/start"', panel)
    finally:
        await boss.aclose()

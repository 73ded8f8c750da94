"""Junk-call triage over real HTTP: supervisors only set and lift measures (API and page), refused ones say why
(422), the console shows a waiting caller's score before she answers, the wallboard the junk share and a wave."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from web_stack import AML_HMAC_KEY, WebStack, logged_in, start_stack

from ec112.ami.events import translate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.tickets import IntakeChannel, NewCall
from ec112.web.aml_api import aml_hmac

NUMBER = "+6281234567890"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


def _ami(event: str, t: float, **fields: str) -> CallEvent:
    found = translate({"Event": event, "Timestamp": f"{t:.6f}", **fields}, datetime.now(UTC))
    assert found is not None
    return found


async def _ticket(stack: WebStack, n: int, number: str, *, ago: float = 60) -> str:
    ticket, _ = await SqlTicketRepository(stack.engine).open(NewCall(
        f"l{n}", f"l{n}", f"PJSIP/trunk-{n}", number.replace("+62", "0"), number, None,
        datetime.now(UTC) - timedelta(seconds=ago), IntakeChannel.AGI))
    return ticket.number("112")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_only_supervisors_set_and_lift_measures(stack: WebStack) -> None:
    taker, taker_headers = await logged_in(stack, "taker01")
    body = {"subject": "081234567890", "kind": "warning", "reason": "prank", "hours": 2}
    assert (await taker.get("/api/caller-measures")).status_code == 403
    assert (await taker.post("/api/caller-measures", json=body, headers=taker_headers)).status_code == 403
    assert (await taker.get("/caller-measures")).status_code == 403
    spv, headers = await logged_in(stack, "spv")
    assert stack.feed is not None
    stream = stack.feed.subscribe()
    created = await spv.post("/api/caller-measures", json=body, headers=headers)
    assert created.status_code == 201, created.text
    measure = created.json()
    assert (measure["subject"], measure["kind"], measure["set_by"], measure["status"]) == (
        NUMBER, "warning", "spv", "active")
    lift = f"/api/caller-measures/{measure['id']}"
    live = [m.data for m in [stream.get_nowait() for _ in range(stream.qsize())] if m.kind == "measure"]
    assert [(d["change"], d["kind"], d["set_by"]) for d in live] == [("set", "warning", "spv")]
    assert (await taker.delete(lift, params={"reason": "x"}, headers=taker_headers)).status_code == 403
    assert stack.junk is not None
    assert stack.junk.advise(NUMBER, None).reasons == ("junk:warning",)
    assert [m["id"] for m in (await spv.get("/api/caller-measures")).json()] == [measure["id"]]
    lifted = await spv.delete(lift, params={"reason": "salah nomor"}, headers=headers)
    assert (lifted.status_code, lifted.json()["status"], lifted.json()["lifted_by"]) == (200, "lifted", "spv")
    assert stack.junk.advise(NUMBER, None).reasons == ()
    assert (await spv.get("/api/caller-measures")).json() == []
    assert [m["status"] for m in (await spv.get("/api/caller-measures", params={"all": "true"})).json()] == ["lifted"]
    again = await spv.delete(lift, params={"reason": "again"}, headers=headers)
    assert again.status_code == 422
    assert "already ended" in again.json()["message"]
    assert (await spv.delete("/api/caller-measures/999", params={"reason": "x"}, headers=headers)).status_code == 404
    actions = [(e.actor, e.action) for e in await stack.audit.recent(20) if e.action.startswith("junk.")]
    assert actions == [("spv", "junk.measure_lifted"), ("spv", "junk.measure_set")]
    await taker.aclose()
    await spv.aclose()


async def test_a_measure_in_the_past_or_too_long_is_refused_with_a_clear_message(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    now = datetime.now(UTC)
    cases = [
        ({"until": (now - timedelta(minutes=5)).isoformat()}, "in the past"),
        ({"until": (now + timedelta(hours=49)).isoformat()}, "at most 48 h"),
        ({"hours": 100}, "at most 48 h"),
        ({}, "in the past"),  # neither until nor hours
    ]
    for extra, message in cases:
        sent = await spv.post("/api/caller-measures", headers=headers, json={
            "subject": NUMBER, "kind": "restriction", "reason": "prank", **extra})
        assert sent.status_code == 422, extra
        assert message in sent.json()["message"], sent.json()
    wrong = await spv.post("/api/caller-measures", headers=headers,
                           json={"subject": NUMBER, "kind": "block", "reason": "x", "hours": 1})
    assert wrong.status_code == 422  # there is no "block": 112 is never blocked
    assert (await spv.get("/api/caller-measures")).json() == []
    await spv.aclose()


async def test_the_page_sets_and_lifts_a_measure_in_indonesian(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    page = await spv.get("/caller-measures")
    assert "Tindakan panggilan iseng" in page.text
    token = headers["X-CSRF-Token"]
    refused = await spv.post("/caller-measures", data={"csrf_token": token, "subject": NUMBER, "kind": "warning",
                                                        "reason": "prank", "hours": "500"})
    assert refused.status_code == 303
    shown = await spv.get(refused.headers["location"])
    assert "paling lama 48 jam" in shown.text
    done = await spv.post("/caller-measures", data={"csrf_token": token, "subject": "0812 3456 7890",
                                                     "kind": "restriction", "reason": "prank 5x", "hours": "24"})
    assert done.status_code == 303
    table = _text((await spv.get("/caller-measures")).text)
    assert "Pembatasan: peringatan dan prioritas terendah" in table
    assert "berlaku" in table
    assert stack.junk is not None
    [m] = stack.junk.in_force()
    lift = await spv.post(f"/caller-measures/{m.id}/lift", data={"csrf_token": token, "reason": "sudah ditegur"})
    assert lift.status_code == 303
    assert "dicabut oleh spv: sudah ditegur" in _text((await spv.get("/caller-measures")).text)
    await spv.aclose()


async def test_the_console_shows_a_waiting_callers_score_before_she_answers(stack: WebStack) -> None:
    worker, worker_headers = await logged_in(stack, "taker02")
    for n in (1, 2):
        number = await _ticket(stack, n, NUMBER, ago=3600 * n)
        classified = await worker.post(f"/api/tickets/{number}/classification", json={"classification": "prank"},
                                       headers=worker_headers)
        assert classified.status_code == 200, classified.text
    assert stack.presence is not None
    assert stack.junk is not None
    await stack.junk.set_measure(subject_kind="number", subject=NUMBER, kind="restriction", reason="prank",
                                 until=datetime.now(UTC) + timedelta(hours=1), by="spv")
    t0 = time.time() - 5
    caller = {"Channel": "PJSIP/trunk-00000009", "CallerIDNum": "081234567890", "CallerIDName": "",
              "Uniqueid": "c9", "Linkedid": "c9"}
    await stack.presence.apply(_ami("Newchannel", t0, Context="ec112-from-trunk", Exten="112", **caller))
    await stack.presence.apply(_ami("QueueCallerJoin", t0 + 1, Queue="112", Position="1", Count="1", **caller))
    taker, _ = await logged_in(stack, "taker01")
    assert 'hx-get="/console/callers"' in (await taker.get("/console")).text
    card = _text((await taker.get("/console/callers")).text)
    assert "081234567890" in card
    assert "Skor pengulangan 6.0" in card
    assert "penelepon iseng berulang" in card
    assert "Tindakan berlaku: pembatasan" in card
    profile = (await taker.get(f"/api/callers/{NUMBER}/profile")).json()
    assert (profile["level"], profile["junk"], len(profile["measures"])) == ("repeat", 2, 1)
    await taker.aclose()
    await worker.aclose()


async def test_the_wallboard_shows_the_junk_share_and_flags_a_wave(stack: WebStack) -> None:
    assert stack.feed is not None
    stream = stack.feed.subscribe()
    worker, headers = await logged_in(stack, "taker01")
    for n, number in enumerate(("+6281200000001", "+6281200000002", "+6281200000003", "+6281200000004"), 1):
        ticket = await _ticket(stack, n, number, ago=30)
        kind = "informasi" if n == 4 else "ghost"
        assert (await worker.post(f"/api/tickets/{ticket}/classification", json={"classification": kind},
                                  headers=headers)).status_code == 200
    spv, _ = await logged_in(stack, "spv")
    panel = _text((await spv.get("/wallboard/panel/junk")).text)
    assert "75 %" in panel  # 3 ghosts of 4 classified
    assert "Gelombang panggilan tak sengaja" in panel
    assert "3 nomor berbeda" in panel
    assert (await worker.get("/wallboard/panel/junk")).status_code == 403
    waves = [m.data for m in [stream.get_nowait() for _ in range(stream.qsize())] if m.kind == "wave"]
    assert waves == [{"since": waves[0]["since"], "numbers": 3, "pattern": "ghost"}]
    await worker.aclose()
    await spv.aclose()



async def test_a_measure_set_from_a_ticket_takes_its_number_and_goes_on_its_timeline(stack: WebStack) -> None:
    number = await _ticket(stack, 7, NUMBER)
    spv, headers = await logged_in(stack, "spv")
    sent = await spv.post("/api/caller-measures", headers=headers, json={
        "ticket": number, "kind": "low_priority", "reason": "iseng lagi", "hours": 1})
    assert sent.status_code == 201, sent.text
    assert sent.json()["subject"] == NUMBER
    timeline = (await spv.get(f"/api/tickets/{number}/timeline")).json()
    [entry] = [e for e in timeline if e["kind"] == "junk.measure_set"]
    assert entry["actor"] == "spv"
    assert (entry["data"]["kind"], entry["data"]["reason"]) == ("low_priority", "iseng lagi")
    page = _text((await spv.get(f"/tickets/{number}")).text)
    assert "Tindakan panggilan iseng ditetapkan pada nomor ini" in page
    missing = await spv.post("/api/caller-measures", headers=headers, json={
        "ticket": "112-000101-00999", "kind": "warning", "reason": "x", "hours": 1})
    assert missing.status_code == 404
    await spv.aclose()


async def test_an_imei_from_an_aml_message_carries_a_measure_to_the_handsets_numbers(stack: WebStack) -> None:
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    imei = "356938035643809"
    for number in ("6281311110001", "6281311110002"):  # one handset, two SIM cards
        fields = (f"v=3&emergency_number=112&source=call&time={now_ms}&location_latitude=-1.25&location_longitude="
                  f"116.83&location_time={now_ms}&location_accuracy=12&location_source=gps"
                  f"&device_number=%2B{number}&device_imei={imei}").encode()
        body = fields + b"&hmac=" + aml_hmac(AML_HMAC_KEY.encode(), fields).encode()
        async with httpx.AsyncClient(base_url=stack.base_url) as handset:
            sent = await handset.post("/api/aml", content=body,
                                      headers={"content-type": "application/x-www-form-urlencoded"})
        assert sent.status_code == 200, sent.text
    spv, headers = await logged_in(stack, "spv")
    set_ = await spv.post("/api/caller-measures", headers=headers, json={
        "subject_kind": "imei", "subject": imei, "kind": "warning", "reason": "ganti SIM, iseng", "hours": 2})
    assert set_.status_code == 201, set_.text
    assert stack.junk is not None
    assert stack.junk.advise("+6281311110001", None).reasons == ("junk:warning",)
    assert stack.junk.advise("+6281311110002", None).reasons == ("junk:warning",)
    assert stack.junk.advise(NUMBER, None).reasons == ()
    profile = (await spv.get("/api/callers/+6281311110001/profile")).json()
    assert (profile["imeis"], [m["subject"] for m in profile["measures"]]) == (1, [imei])
    await spv.aclose()

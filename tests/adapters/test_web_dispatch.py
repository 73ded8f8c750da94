"""Dispatch over real HTTP (the real app, uvicorn, SQLite; the shipped agencies file plus responders):

who may dispatch, acknowledge, assign and advance (an officer of another agency gets 403, a responder moves only
her own assignments, a step out of order is 422 with the reason); the agency and responder pages and their
filtered live stream show each one only what is hers (no caller of another agency); the responder's photo
(JPEG/PNG by magic bytes, 5 MB cap) lands in the timeline and is served only to who may see the dispatch;
the console's dispatch section, and the wallboard's dispatch alarm and call-processing target.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.config.agencies_file import load_agencies
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.accounts import NewUser, Role
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered

CALLER = "+6281377778888"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RESPONDERS = """
[[responder]]
username = "resp.budi"
agency = "damkar"
name = "Budi Santoso"
phone = "0812 1111 2222"

[[responder]]
username = "resp.sari"
agency = "damkar"
name = "Sari Wulandari"

[[responder]]
username = "resp.joko"
agency = "bpbd"
name = "Joko BPBD"
"""
FIELD = {"off.damkar": (Role.AGENCY_OFFICER, "damkar"), "off.bpbd": (Role.AGENCY_OFFICER, "bpbd"),
         "resp.budi": (Role.RESPONDER, "damkar"), "resp.sari": (Role.RESPONDER, "damkar")}
FIELD_PASSWORD = "lapangan-sandi-112"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    shipped = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    # BPBD acknowledges within 1 s here, so that an escalation can be seen without waiting.
    edited = shipped.replace('short_name = "BPBD"', 'short_name = "BPBD"\nack_timeout_seconds = 1', 1)
    assert edited != shipped
    path = tmp_path / "agencies.toml"
    path.write_text(edited + RESPONDERS, encoding="utf-8")
    async for s in start_stack(tmp_path, agencies=load_agencies(path)):
        for name, (role, agency) in FIELD.items():
            await s.users.add("cli", NewUser(name, name.title(), role, None, agency), FIELD_PASSWORD)
        yield s


async def _client(stack: WebStack, username: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    return await logged_in(stack, username, FIELD_PASSWORD if username in FIELD else None)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def _emergency(stack: WebStack, n: int, taker: httpx.AsyncClient, headers: dict[str, str], *,
                     category: str = "kebakaran", caller: str = CALLER) -> Ticket:
    """A call answered by taker01 half a minute ago, classified darurat through the API."""
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC) - timedelta(seconds=30)
    location = Location(-6.2146, 106.8451, 35.0, LocationSource.PIDF_LO, arrived, "GPS")
    ticket, _ = await repo.open(NewCall(f"d{n}", f"d{n}", f"PJSIP/trunk-{n}", caller, caller, None, arrived,
                                        IntakeChannel.AGI, location))
    await repo.save(answered(ticket, "taker01", arrived + timedelta(seconds=3)))
    number = ticket.number("112")
    saved = await taker.post(f"/api/tickets/{number}/classification", headers=headers, json={
        "classification": "darurat", "category": category, "address": f"Jl. Melati No. {n}",
        "description": "Rumah terbakar"})
    assert saved.status_code == 200, saved.text
    return ticket


async def _dispatch(taker: httpx.AsyncClient, headers: dict[str, str], number: str, *agencies: str) -> list[Any]:
    response = await taker.post(f"/api/tickets/{number}/dispatches", headers=headers, json={"agencies": agencies})
    assert response.status_code == 200, response.text
    created: list[Any] = response.json()
    return created


async def test_who_may_dispatch_acknowledge_assign_and_advance(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    damkar, dh = await _client(stack, "off.damkar")
    bpbd, bh = await _client(stack, "off.bpbd")
    budi, buh = await _client(stack, "resp.budi")
    sari, sh = await _client(stack, "resp.sari")
    number = (await _emergency(stack, 1, taker, th)).number("112")

    refused = await damkar.post(f"/api/tickets/{number}/dispatches", headers=dh, json={"agencies": ["damkar"]})
    assert refused.status_code == 403
    created = await _dispatch(taker, th, number, "damkar", "bpbd")
    by_agency = {d["agency"]: d for d in created}
    d_id, b_id = by_agency["damkar"]["id"], by_agency["bpbd"]["id"]
    assert by_agency["damkar"]["status"] == "dispatched"
    again = await taker.post(f"/api/tickets/{number}/dispatches", headers=th, json={"agencies": ["damkar"]})
    assert again.status_code == 422
    assert "already dispatched" in again.json()["message"]

    # Each officer sees her own agency's dispatch, with the caller's data; never the other agency's.
    mine = (await damkar.get("/api/dispatches/mine")).json()
    assert [(w["dispatch"]["agency"], w["ticket"]["caller_number"]) for w in mine] == [("damkar", CALLER)]
    assert [w["dispatch"]["agency"] for w in (await bpbd.get("/api/dispatches/mine")).json()] == ["bpbd"]
    assert (await bpbd.get(f"/api/dispatches/{d_id}")).status_code == 403
    assert (await bpbd.post(f"/api/dispatches/{d_id}/acknowledge", headers=bh)).status_code == 403
    assert (await damkar.get("/api/tickets")).status_code == 403  # the room stays closed to her

    acked = await damkar.post(f"/api/dispatches/{d_id}/acknowledge", headers=dh)
    assert acked.status_code == 200
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == ("acknowledged", "off.damkar")
    stranger = await damkar.post(f"/api/dispatches/{d_id}/assign", headers=dh, json={"responder": "resp.joko"})
    assert stranger.status_code == 422
    assert "not a responder of damkar" in stranger.json()["message"]
    assigned = await damkar.post(f"/api/dispatches/{d_id}/assign", headers=dh, json={"responder": "resp.budi"})
    assert assigned.status_code == 200
    assert assigned.json()["responder"] == "resp.budi"

    # A responder moves only her own assignment, one step at a time.
    assert (await sari.get("/api/dispatches/mine")).json() == []
    assert [w["dispatch"]["id"] for w in (await budi.get("/api/dispatches/mine")).json()] == [d_id]
    other = await sari.post(f"/api/dispatches/{d_id}/advance", headers=sh, json={"to": "responding"})
    assert other.status_code == 403
    assert other.json()["message"] == "this assignment belongs to another responder"
    skipped = await budi.post(f"/api/dispatches/{d_id}/advance", headers=buh, json={"to": "resolved", "note": "x"})
    assert skipped.status_code == 422
    assert skipped.json()["message"] == ("dispatch to damkar is acknowledged: it cannot go to resolved "
                                         "(only from processing)")
    moved = await budi.post(f"/api/dispatches/{d_id}/advance", headers=buh,
                            json={"to": "responding", "lat": -6.2, "lon": 106.8})
    assert moved.status_code == 200
    assert moved.json()["status"] == "responding"
    no_note = await budi.post(f"/api/dispatches/{d_id}/advance", headers=buh, json={"to": "processing"})
    assert no_note.status_code == 200
    unnoted = await budi.post(f"/api/dispatches/{d_id}/advance", headers=buh, json={"to": "resolved", "note": " "})
    assert unnoted.status_code == 422
    assert "closing note" in unnoted.json()["message"]

    close = await taker.post(f"/api/tickets/{number}/close", headers=th, json={})
    assert close.status_code == 422
    assert "still open" in close.json()["message"]
    timeline = (await taker.get(f"/api/tickets/{number}/timeline")).json()
    responding = next(e for e in timeline if e["kind"] == "dispatch.responding")
    assert (responding["actor"], responding["data"]["position"]) == ("resp.budi", {"lat": -6.2, "lon": 106.8})
    assert by_agency["bpbd"]["id"] == b_id
    for client in (taker, damkar, bpbd, budi, sari):
        await client.aclose()


async def test_pages_show_each_officer_and_responder_only_what_is_theirs(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    damkar, dh = await _client(stack, "off.damkar")
    bpbd, _ = await _client(stack, "off.bpbd")
    budi, _ = await _client(stack, "resp.budi")
    sari, _ = await _client(stack, "resp.sari")
    first = (await _emergency(stack, 1, taker, th)).number("112")
    second = (await _emergency(stack, 2, taker, th, caller="+6281399990000")).number("112")
    (d1,) = await _dispatch(taker, th, first, "damkar")
    await _dispatch(taker, th, second, "damkar")

    page = await damkar.get("/agency")
    assert page.status_code == 200
    text = _text(page.text)
    assert text.index(second) < text.index(first)  # newest first
    for words in (CALLER, "Jl. Melati No. 1", "Rumah terbakar", "Kebakaran", "-6.21460, 106.84510", "± 35 m",
                  "Terkirim, menunggu diterima", "Terima dalam", "Terima"):
        assert words in text, words
    assert 'href="tel:+6281377778888"' in page.text
    assert 'href="geo:-6.214600,106.845100' in page.text
    assert 'href="/agency"' in page.text
    assert 'href="/tickets"' not in page.text

    other = _text((await bpbd.get("/agency")).text)  # another agency: not a word of Damkar's callers
    assert "Tidak ada tugas terbuka untuk instansi Anda." in other
    assert CALLER not in other
    assert first not in other
    assert CALLER not in (await bpbd.get("/agency/list")).text

    await damkar.post(f"/api/dispatches/{d1['id']}/acknowledge", headers=dh)
    await damkar.post(f"/api/dispatches/{d1['id']}/assign", headers=dh, json={"responder": "resp.budi"})
    listed = _text((await damkar.get("/agency/list")).text)
    assert "Diterima oleh off.damkar" in listed
    assert "Petugas lapangan: Budi Santoso" in listed
    assert "Budi Santoso · 0812 1111 2222" in listed  # the responder choice, from the agencies file

    mine = _text((await budi.get("/responder")).text)
    assert first in mine
    assert second not in mine
    assert "Berangkat" in mine
    assert "Belum ada tugas untuk Anda saat ini." in _text((await sari.get("/responder")).text)

    for client, path in ((taker, "/agency"), (taker, "/responder"), (damkar, "/responder"), (budi, "/agency"),
                         (budi, "/agency/list"), (damkar, "/responder/list")):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert "Akses ditolak" in refused.text
    nobody, _ = await _client(stack, "officer")  # an officer whose account names no agency
    assert "belum terhubung ke instansi" in _text((await nobody.get("/agency")).text)
    for client in (taker, damkar, bpbd, budi, sari, nobody):
        await client.aclose()


async def _events(client: httpx.AsyncClient, into: list[tuple[str, dict[str, Any]]]) -> None:
    async with client.stream("GET", "/api/field/events") as response:
        assert response.status_code == 200
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                into.append((kind, json.loads(line.split(":", 1)[1])))


async def test_the_field_stream_carries_only_her_agencys_changes(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    damkar, dh = await _client(stack, "off.damkar")
    bpbd, _ = await _client(stack, "off.bpbd")
    budi, _ = await _client(stack, "resp.budi")
    assert (await taker.get("/api/field/events")).status_code == 403  # the room has its own stream
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {"damkar": [], "bpbd": [], "budi": []}
    readers = [asyncio.create_task(_events(c, seen[k])) for k, c in (("damkar", damkar), ("bpbd", bpbd),
                                                                     ("budi", budi))]
    try:
        async with asyncio.timeout(5):
            while not all(seen.values()):
                await asyncio.sleep(0.02)
        number = (await _emergency(stack, 1, taker, th)).number("112")
        (d,) = await _dispatch(taker, th, number, "damkar")
        await damkar.post(f"/api/dispatches/{d['id']}/acknowledge", headers=dh)
        await damkar.post(f"/api/dispatches/{d['id']}/assign", headers=dh, json={"responder": "resp.budi"})
        closed = await taker.post(f"/api/tickets/{number}/close", headers=th,
                                  json={"false_call": True, "note": "Penelepon mengaku iseng"})
        assert closed.status_code == 200, closed.text
        async with asyncio.timeout(5):
            while sum(k == "ticket" for k, _ in seen["damkar"]) < 1 or not any(k == "ticket" for k, _ in seen["budi"]):
                await asyncio.sleep(0.02)
    finally:
        for reader in readers:
            reader.cancel()
    kinds = [(k, data.get("status")) for k, data in seen["damkar"]]
    assert kinds[0] == ("snapshot", None)
    assert ("dispatch", "dispatched") in kinds
    assert ("dispatch", "acknowledged") in kinds
    assert [k for k, _ in seen["bpbd"]] == ["snapshot"]  # nothing of Damkar's ticket
    assert ("dispatch", "cancelled") in kinds
    assert ("ticket", "cancelled") in kinds
    budi_kinds = [(k, data.get("status")) for k, data in seen["budi"]]
    assert budi_kinds[0] == ("snapshot", None)  # assigned to her: from then on, hers
    assert ("dispatch", "acknowledged") in budi_kinds
    assert ("dispatch", "cancelled") in budi_kinds
    every = [data for stream in seen.values() for _k, data in stream]
    assert CALLER not in json.dumps(every)  # the stream says *that* something changed, never the caller
    for client in (taker, damkar, bpbd, budi):
        await client.aclose()


async def test_a_photo_goes_with_the_last_step_and_only_to_who_may_see_it(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    damkar, dh = await _client(stack, "off.damkar")
    bpbd, _ = await _client(stack, "off.bpbd")
    budi, buh = await _client(stack, "resp.budi")
    sari, sh = await _client(stack, "resp.sari")
    number = (await _emergency(stack, 1, taker, th)).number("112")
    (d,) = await _dispatch(taker, th, number, "damkar")
    url = f"/api/dispatches/{d['id']}"
    await damkar.post(f"{url}/acknowledge", headers=dh)
    await damkar.post(f"{url}/assign", headers=dh, json={"responder": "resp.budi"})
    for step in ("responding", "processing"):
        assert (await budi.post(f"{url}/advance", headers=buh, json={"to": step})).status_code == 200

    image = {**buh, "Content-Type": "image/png"}
    others = await sari.post(f"{url}/photos", headers={**sh, "Content-Type": "image/png"}, content=PNG)
    assert others.status_code == 403
    no_csrf = await budi.post(f"{url}/photos", headers={"Content-Type": "image/png"}, content=PNG)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["code"] == "csrf_failed"
    fake = await budi.post(f"{url}/photos", headers={**buh, "Content-Type": "image/jpeg"}, content=b"<svg></svg>")
    assert fake.status_code == 415  # the name of the type is not enough: the bytes must be an image
    big = await budi.post(f"{url}/photos", headers=image, content=PNG + b"\x00" * (5 * 1024 * 1024))
    assert big.status_code == 413
    assert "5 MB" in big.json()["message"]
    stored = await budi.post(f"{url}/photos", headers=image, content=PNG)
    assert stored.status_code == 201, stored.text
    photo = stored.json()["photo"]
    assert re.fullmatch(r"[0-9a-f]{32}\.png", photo)

    unknown = await budi.post(f"{url}/advance", headers=buh, json={
        "to": "resolved", "note": "Api padam", "photo": "0" * 32 + ".png"})
    assert unknown.status_code == 422
    done = await budi.post(f"{url}/advance", headers=buh, json={
        "to": "resolved", "note": "Api padam, tidak ada korban", "photo": photo, "lat": -6.21, "lon": 106.84})
    assert done.status_code == 200
    assert done.json()["status"] == "resolved"
    resolved = next(e for e in (await taker.get(f"/api/tickets/{number}/timeline")).json()
                    if e["kind"] == "dispatch.resolved")
    assert resolved["data"]["photo"] == photo
    assert resolved["data"]["note"] == "Api padam, tidak ada korban"

    shown = await damkar.get(f"{url}/photos/{photo}")
    assert shown.status_code == 200
    assert shown.content == PNG
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert (await taker.get(f"{url}/photos/{photo}")).status_code == 200
    assert (await bpbd.get(f"{url}/photos/{photo}")).status_code == 403
    assert (await damkar.get(f"{url}/photos/..%2F..%2Fec112.sqlite3")).status_code == 404
    detail = (await taker.get(f"/tickets/{number}")).text
    assert f'src="{url}/photos/{photo}"' in detail
    assert "Diselesaikan petugas lapangan" in _text(detail)
    assert "Api padam, tidak ada korban" in _text(detail)
    for client in (taker, damkar, bpbd, budi, sari):
        await client.aclose()


async def test_console_dispatch_section_and_wallboard_alarm(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    spv, _ = await _client(stack, "spv")
    number = (await _emergency(stack, 1, taker, th)).number("112")

    section = (await taker.get(f"/console/ticket/{number}/dispatch")).text
    proposed = re.findall(r'name="agency" value="([a-z0-9_-]+)"( checked)?', section)
    assert proposed[:2] == [("damkar", " checked"), ("bpbd", "")]  # authority for kebakaran, Damkar first
    assert "Kirim ke OPD" in _text(section)
    assert "Instansi lain" in _text(section)
    await _dispatch(taker, th, number, "damkar", "bpbd")
    text = _text((await taker.get(f"/console/ticket/{number}/dispatch")).text)
    assert "Damkar Terkirim, menunggu diterima" in text
    assert "sudah dikirim" in text
    assert (await spv.get(f"/console/ticket/{number}/dispatch")).status_code == 403  # no SIP phone: no console

    await asyncio.sleep(1.1)  # BPBD's 1 s to acknowledge is over
    assert stack.dispatcher is not None
    assert await stack.dispatcher.escalate_overdue() == 1
    alarms = await spv.get("/wallboard/panel/alarms")
    assert alarms.status_code == 200
    alarm = _text(alarms.text)
    assert f"BPBD belum menerima tiket {number} terlambat 0:0" in alarm
    assert "Belum diterima tepat waktu: supervisor diberi tahu" in _text(
        (await taker.get(f"/console/ticket/{number}/dispatch")).text)
    # One more second: level 2. The shipped DEMO contact has no channel, so the room is told whom to call.
    await asyncio.sleep(1.0)
    assert await stack.dispatcher.escalate_overdue() == 1
    contact = "Kepala Bidang Kedaruratan dan Logistik BPBD (DEMO)"
    assert f"hubungi kontak cadangan {contact} 0000 0000 0002" in _text((await spv.get("/wallboard/panel/alarms")).text)
    assert f"Belum diterima tepat waktu: hubungi kontak cadangan {contact} (0000 0000 0002)" in _text(
        (await taker.get(f"/console/ticket/{number}/dispatch")).text)
    kpi = await spv.get("/wallboard/panel/dispatch")
    assert kpi.text.count('data-kpi="call_processing" data-rating="green"') == 2  # dispatched ~27 s after the answer
    assert "100 % 1/1 Sesuai target" in _text(kpi.text)
    for client in (taker, spv):
        await client.aclose()

"""The replay over real HTTP (the real app, uvicorn, SQLite, the shipped agencies file plus responders): a ticket
classified, located twice, dispatched, acknowledged, assigned and moved along by a responder who sends her
position comes back as one sorted time axis; whoever may see the ticket may replay it (an agency officer or a
responder may not: 403); a ticket with no location has no place on any step; there is no recording until the
recordings part is wired; the ticket page carries the replay panel."""

from __future__ import annotations

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

RESPONDERS = """
[[responder]]
username = "resp.budi"
agency = "damkar"
name = "Budi Santoso"
"""
FIELD = {"off.damkar": (Role.AGENCY_OFFICER, "damkar"), "resp.budi": (Role.RESPONDER, "damkar")}
FIELD_PASSWORD = "lapangan-sandi-112"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    path = tmp_path / "agencies.toml"
    path.write_text(files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8") + RESPONDERS,
                    encoding="utf-8")
    async for s in start_stack(tmp_path, agencies=load_agencies(path)):
        for name, (role, agency) in FIELD.items():
            await s.users.add("cli", NewUser(name, name.title(), role, None, agency), FIELD_PASSWORD)
        yield s


async def _client(stack: WebStack, username: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    return await logged_in(stack, username, FIELD_PASSWORD if username in FIELD else None)


async def _call(stack: WebStack, n: int, location: Location | None) -> Ticket:
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)
    ticket, _ = await repo.open(NewCall(f"r{n}", f"r{n}", f"PJSIP/trunk-{n}", "081377778888", "+6281377778888",
                                        None, arrived, IntakeChannel.AGI, location))
    await repo.save(answered(ticket, "taker01", arrived + timedelta(seconds=3)))
    return ticket


async def _ok(response: Any) -> Any:
    response = await response
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_replay_holds_every_step_in_order_with_the_places(stack: WebStack) -> None:
    taker, th = await _client(stack, "taker01")
    officer, oh = await _client(stack, "off.damkar")
    budi, bh = await _client(stack, "resp.budi")
    arrived_fix = datetime.now(UTC) - timedelta(seconds=60)
    ticket = await _call(stack, 1, Location(-1.2605, 116.8305, 1200.0, LocationSource.PIDF_LO, arrived_fix, "Cell"))
    number = ticket.number("112")
    await _ok(taker.post(f"/api/tickets/{number}/locations", headers=th,
                         json={"lat": -1.2612, "lon": 116.8311, "radius_m": 25}))
    await _ok(taker.post(f"/api/tickets/{number}/classification", headers=th,
                         json={"classification": "darurat", "category": "kebakaran"}))
    (dispatch,) = await _ok(taker.post(f"/api/tickets/{number}/dispatches", headers=th, json={"agencies": ["damkar"]}))
    url = f"/api/dispatches/{dispatch['id']}"
    await _ok(officer.post(f"{url}/acknowledge", headers=oh))
    await _ok(officer.post(f"{url}/assign", headers=oh, json={"responder": "resp.budi"}))
    await _ok(budi.post(f"{url}/advance", headers=bh, json={"to": "responding", "lat": -1.25, "lon": 116.80}))
    await _ok(budi.post(f"{url}/advance", headers=bh, json={"to": "processing", "lat": -1.2611, "lon": 116.8309}))

    replay = await _ok(taker.get(f"/api/tickets/{number}/replay"))
    assert [s["kind"] for s in replay["steps"]] == [
        "arrived", "location", "queued", "answered", "location", "classified", "dispatch.created",
        "dispatch.acknowledged", "dispatch.assigned", "dispatch.responding", "dispatch.processing"]
    offsets = [s["offset_seconds"] for s in replay["steps"]]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0.0
    assert offsets[-1] == replay["duration_seconds"] > 60
    places = [(s["kind"], s["lat"], s["lon"], s["radius"]) for s in replay["steps"] if s["lat"] is not None]
    assert places == [("location", -1.2605, 116.8305, 1200.0), ("location", -1.2612, 116.8311, 25.0),
                      ("dispatch.responding", -1.25, 116.80, None), ("dispatch.processing", -1.2611, 116.8309, None)]
    assert replay["steps"][5]["label"] == {"id": "Diklasifikasikan · Darurat · Kebakaran",
                                           "en": "Classified · Emergency · Fire"}
    assert replay["steps"][6]["label"] == {"id": "Dikirim ke instansi · damkar", "en": "Sent to an agency · damkar"}
    assert replay["steps"][9]["dispatch_id"] == dispatch["id"]
    assert replay["recording"] is None  # no RecordingLookup wired in this stack (the recordings part is apart)

    supervisor, _ = await _client(stack, "spv")
    assert (await supervisor.get(f"/api/tickets/{ticket.id}/replay")).json() == replay
    for outsider in (officer, budi):
        assert (await outsider.get(f"/api/tickets/{number}/replay")).status_code == 403
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get(f"/api/tickets/{number}/replay")).status_code == 401
    assert (await taker.get("/api/tickets/112-991231-99999/replay")).status_code == 404

    page = (await taker.get(f"/tickets/{number}")).text
    assert f'data-url="/api/tickets/{number}/replay"' in page
    assert 'id="replay-slider"' in page
    assert "/static/js/replay.js" in page
    assert "Putar ulang" in page
    for client in (taker, officer, budi, supervisor):
        await client.aclose()


async def test_a_ticket_with_no_location_and_no_recording(stack: WebStack) -> None:
    taker, _ = await _client(stack, "taker01")
    ticket = await _call(stack, 2, None)
    replay = await _ok(taker.get(f"/api/tickets/{ticket.number('112')}/replay"))
    assert [(s["kind"], s["offset_seconds"]) for s in replay["steps"]] == [
        ("arrived", 0.0), ("queued", 3.0), ("answered", 3.0)]
    assert all(s["lat"] is None and s["radius"] is None for s in replay["steps"])
    assert (replay["recording"], replay["duration_seconds"]) == (None, 3.0)
    await taker.aclose()

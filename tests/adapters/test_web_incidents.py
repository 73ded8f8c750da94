"""Known incidents over real HTTP (the real app, uvicorn, SQLite): who may post and end one, what is refused and why,
the supervisor's page (Indonesian first), the banner of the console and the wallboard, the live ``incident`` event,
and a call taker linking her caller's ticket to the incident in one action."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket

FIRE = "Kebakaran di Pasar Penajam sudah ditangani Damkar"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def _ticket(stack: WebStack, n: int) -> Ticket:
    ticket, _ = await SqlTicketRepository(stack.engine).open(NewCall(
        f"l{n}", f"l{n}", f"PJSIP/trunk-{n}", "081311112222", "+6281311112222", None, datetime.now(UTC),
        IntakeChannel.AGI))
    return ticket


async def test_only_supervisors_post_and_end_and_bad_drafts_are_refused_with_the_reason(stack: WebStack) -> None:
    taker, taker_headers = await logged_in(stack, "taker01")
    spv, spv_headers = await logged_in(stack, "spv")
    async with aclosing(taker), aclosing(spv):
        body = {"text_id": FIRE, "text_en": "The fire at Pasar Penajam is handled", "minutes": 90,
                "area": {"kind": "kecamatan", "code": "64.09.01"}}
        refused = await taker.post("/api/incidents", json=body, headers=taker_headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        for bad, reason in [({**body, "text_id": " "}, "Indonesian text is required"),
                            ({**body, "minutes": 25 * 60}, "at most 24 h"),
                            ({**body, "area": {"kind": "desa", "code": "64.09.99.9999"}}, "no desa with code"),
                            ({**body, "area": {"kind": "circle", "lat": -1.25}}, "lat, lon and radius"),
                            ({k: v for k, v in body.items() if k != "minutes"}, "ends_at or minutes")]:
            answer = await spv.post("/api/incidents", json=bad, headers=spv_headers)
            assert answer.status_code == 422, bad
            assert reason in answer.text
        assert (await spv.post("/api/incidents", json=body)).status_code == 403  # no CSRF token: refused

        posted = await spv.post("/api/incidents", json=body, headers=spv_headers)
        assert posted.status_code == 201, posted.text
        incident = posted.json()
        assert (incident["area"]["name"], incident["active"], incident["posted_by"]) == (
            "Kecamatan Penajam", True, "spv")
        assert 89 * 60 < incident["seconds_left"] <= 90 * 60
        listed = (await taker.get("/api/incidents")).json()  # call takers see it (the banner)
        assert [i["id"] for i in listed["active"]] == [incident["id"]]

        assert (await taker.post(f"/api/incidents/{incident['id']}/end", headers=taker_headers)).status_code == 403
        ended = await spv.post(f"/api/incidents/{incident['id']}/end", headers=spv_headers)
        assert ended.status_code == 200
        assert (ended.json()["active"], ended.json()["ended_by"]) == (False, "spv")
        again = await spv.post(f"/api/incidents/{incident['id']}/end", headers=spv_headers)
        assert again.status_code == 422
        assert (await taker.get("/api/incidents")).json()["active"] == []
    audit = [(e.actor, e.action) for e in await stack.audit.recent(20)]
    assert ("spv", "incident.post") in audit
    assert ("spv", "incident.end") in audit


async def test_the_supervisor_posts_on_her_page_and_the_console_and_wallboard_show_the_banner(
        stack: WebStack) -> None:
    assert stack.incidents is not None
    spv, _headers = await logged_in(stack, "spv")
    taker, _taker_headers = await logged_in(stack, "taker01")
    async with aclosing(spv), aclosing(taker):
        page = await spv.get("/incidents")
        assert page.status_code == 200
        assert "Kejadian diketahui" in _text(page.text)  # Indonesian first
        assert "Kecamatan Penajam" in page.text  # the area picker lists the regency's kecamatan and desa
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        form = {"csrf_token": token[1], "text_id": FIRE, "text_en": "", "area": "kecamatan:64.09.01",
                "minutes": "45", "lat": "", "lon": "", "radius_m": "", "ticket": ""}
        missing = await spv.post("/incidents", data={**form, "text_id": ""})
        assert missing.status_code == 422
        assert "teks bahasa Indonesia wajib diisi" in missing.text
        done = await spv.post("/incidents", data=form)
        assert done.status_code == 303

        banner = _text((await taker.get("/incidents/banner?view=console")).text)
        assert f"Kejadian diketahui: {FIRE}" in banner
        assert "Kecamatan Penajam" in banner
        assert "Tautkan tiket ini ke kejadian" in banner  # the one-click link on the console
        wall = _text((await spv.get("/incidents/banner?view=wallboard")).text)
        assert "panggilan: 0" in wall
        assert "Tautkan" not in wall
        # Nothing is rendered in this stack (no render_dir): the console says callers hear the generic prompt.
        assert "pengumuman umum" in banner
        assert 'id="ki-slot"' in (await taker.get("/console")).text

        stack.incidents.advise("+6281311112222", None)  # a caller while every taker is busy
        await stack.incidents.drain()
        assert "panggilan: 1, mendengarnya: 1" in _text((await spv.get("/incidents/banner?view=wallboard")).text)
        officer, _ = await logged_in(stack, "officer")
        async with aclosing(officer):
            assert (await officer.get("/incidents/banner")).status_code == 403  # not the room's staff


async def test_a_call_taker_links_her_callers_ticket_to_the_incident_in_one_action(stack: WebStack) -> None:
    assert stack.feed is not None
    own, caller = await _ticket(stack, 1), await _ticket(stack, 2)
    live = stack.feed.subscribe()
    spv, spv_headers = await logged_in(stack, "spv")
    taker, headers = await logged_in(stack, "taker01")
    async with aclosing(spv), aclosing(taker):
        posted = await spv.post("/api/incidents", headers=spv_headers, json={
            "text_id": FIRE, "minutes": 60, "ticket": own.number("112")})
        incident = posted.json()
        assert incident["ticket"] == own.number("112")
        events = [live.get_nowait() for _ in range(live.qsize())]
        assert [(m.kind, m.data["change"]) for m in events if m.kind == "incident"] == [("incident", "posted")]

        linked = await taker.post(f"/api/tickets/{caller.number('112')}/link-incident", headers=headers,
                                  json={"incident_id": incident["id"]})
        assert linked.status_code == 200, linked.text
        assert (linked.json()["classification"], linked.json()["status"]) == ("informasi", "closed")
        timeline = (await taker.get(f"/api/tickets/{caller.number('112')}/timeline")).json()
        linked_entry = next(e for e in timeline if e["kind"] == "incident.linked")
        assert (linked_entry["actor"], linked_entry["data"]["incident_id"]) == ("taker01", incident["id"])
        missing = await taker.post(f"/api/tickets/{caller.number('112')}/link-incident", headers=headers,
                                   json={"incident_id": 999})
        assert missing.status_code == 404
    officer, officer_headers = await logged_in(stack, "officer")
    async with aclosing(officer):
        refused = await officer.post(f"/api/tickets/{caller.number('112')}/link-incident", headers=officer_headers,
                                     json={"incident_id": incident["id"]})
        assert refused.status_code == 403
    assert datetime.now(UTC) < datetime.fromisoformat(incident["ends_at"]) <= datetime.now(UTC) + timedelta(hours=1)

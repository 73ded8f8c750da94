"""Tickets over real HTTP: search with paging, classification (rules, 409 on a stale revision, audit),
the timeline with who did what, the caller's previous calls, and who may do it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, answered

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)  # the calls came in an hour ago
LOCAL_DAY = (T0 + timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Jakarta")).date()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _calls(stack: WebStack) -> list[int]:
    repo = SqlTicketRepository(stack.engine)
    ids = []
    for i, number in enumerate(["+6281311112222", "+6281399990000", "+6281311112222"]):
        ticket, _ = await repo.open(NewCall(f"l{i}", f"l{i}", f"PJSIP/trunk-{i}", number.replace("+62", "0"),
                                            number, None, T0 + timedelta(minutes=i), IntakeChannel.AGI))
        await repo.save(answered(ticket, "taker01", T0 + timedelta(minutes=i, seconds=4)))
        ids.append(ticket.id)
    return ids


async def test_call_taker_classifies_and_everyone_sees_who_did_it(stack: WebStack) -> None:
    first, _other, latest = await _calls(stack)
    taker, headers = await logged_in(stack, "taker01")
    body = {"classification": "prank", "description": "Anak-anak iseng", "revision": 0}
    done = await taker.post(f"/api/tickets/{first}/classification", json=body, headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["classification"], done.json()["revision"]) == ("closed", "prank", 1)

    stale = await taker.post(f"/api/tickets/{first}/classification", json={**body, "classification": "ghost"},
                             headers=headers)
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"

    no_category = await taker.post(f"/api/tickets/{latest}/classification",
                                   json={"classification": "darurat", "revision": 0}, headers=headers)
    assert no_category.status_code == 422
    emergency = await taker.post(f"/api/tickets/{latest}/classification", headers=headers, json={
        "classification": "darurat", "category": "kebakaran", "address": "Jl. Sudirman 10", "revision": 0})
    assert emergency.json()["status"] == "classified"

    previous = (await taker.get(f"/api/tickets/{latest}/previous")).json()
    assert [(t["id"], t["classification"]) for t in previous] == [(first, "prank")]
    timeline = (await taker.get(f"/api/tickets/{emergency.json()['number']}/timeline")).json()
    assert [(e["kind"], e["actor"]) for e in timeline] == [
        ("arrived", "ec112"), ("queued", "ec112"), ("answered", "taker01"), ("classified", "taker01")]
    assert timeline[-1]["data"]["category"] == "kebakaran"

    supervisor, _ = await logged_in(stack, "spv")
    audit = (await supervisor.get("/api/audit")).json()
    assert ("taker01", "ticket.classify") in [(e["actor"], e["action"]) for e in audit]
    officer, officer_headers = await logged_in(stack, "officer")
    refused = await officer.post(f"/api/tickets/{latest}/classification", headers=officer_headers,
                                 json={"classification": "ghost"})
    assert refused.status_code == 403
    for client in (taker, supervisor, officer):
        await client.aclose()


async def test_search_pages_and_filters(stack: WebStack) -> None:
    ids = await _calls(stack)
    client, _ = await logged_in(stack, "spv")
    page = await client.get("/api/tickets", params={"limit": 2})
    assert [t["id"] for t in page.json()] == [ids[2], ids[1]]
    assert page.headers["X-Total-Count"] == "3"
    by_caller = await client.get("/api/tickets", params={"q": "0813 1111 2222"})
    assert [t["id"] for t in by_caller.json()] == [ids[2], ids[0]]
    local_day = await client.get("/api/tickets", params={"from": str(LOCAL_DAY), "to": str(LOCAL_DAY)})
    assert ids[1] in [t["id"] for t in local_day.json()]
    next_day = await client.get("/api/tickets", params={"from": str(LOCAL_DAY + timedelta(days=1))})
    assert next_day.json() == []
    assert (await client.get("/api/tickets", params={"status": "nonsense"})).status_code == 422
    assert (await client.get("/api/tickets", params={"limit": 1000})).status_code == 422
    categories = (await client.get("/api/categories")).json()
    assert {"code": "kebakaran", "label_id": "Kebakaran", "label_en": "Fire", "agencies": ["damkar", "bpbd"]} \
        in categories
    await client.aclose()


async def test_a_total_beyond_the_counting_ceiling_is_shown_as_more_than(stack: WebStack,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A search counts its matches only up to offset + COUNT_CAP (1 000; issue 16): 2 here, so 3 tickets are "more".
    monkeypatch.setattr("ec112.domain.ticket_query.COUNT_CAP", 2)
    ids = await _calls(stack)
    client, _ = await logged_in(stack, "spv")
    capped = await client.get("/api/tickets", params={"limit": 1})
    assert [t["id"] for t in capped.json()] == [ids[2]]
    assert (capped.headers.get("X-Total-Count"), capped.headers["X-Total-Count-More-Than"]) == (None, "2")
    exact = await client.get("/api/tickets", params={"limit": 1, "offset": 1})  # counted up to 1 + 2: all of them
    assert (exact.headers["X-Total-Count"], exact.headers.get("X-Total-Count-More-Than")) == ("3", None)
    searched = await client.get("/api/tickets", params={"q": "0813 1111 2222", "limit": 1})  # counted to its page
    assert (searched.headers.get("X-Total-Count"), searched.headers["X-Total-Count-More-Than"]) == (None, "1")
    page = await client.get("/tickets", params={"limit": 1})
    assert "Menampilkan 1–1 dari lebih dari 2" in page.text  # the spv account reads Indonesian
    assert "offset=1" in page.text  # the next page is offered
    await client.aclose()

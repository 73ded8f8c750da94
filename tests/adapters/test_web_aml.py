"""AML and a ticket's locations over real HTTP: the ELS HTTPS form with its HMAC, the SMS gateway's POST with its
token, what a malformed message gets, the unmatched list for supervisors, the call taker's own pin (CSRF like
every console POST), and the live ``location`` event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from web_stack import AML_HMAC_KEY, AML_SMS_TOKEN, CLI_TOKEN, WebStack, logged_in, start_stack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall
from ec112.web.aml_api import aml_hmac

NUMBER = "+6281234567890"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


def els_body(number: str = NUMBER, *, lat: str = "-1.25123", lon: str = "116.83001", accuracy: str = "12",
             key: str | None = AML_HMAC_KEY) -> bytes:
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    fields = (f"v=3&emergency_number=112&source=call&time={now_ms}&location_latitude={lat}"
              f"&location_longitude={lon}&location_time={now_ms}&location_accuracy={accuracy}"
              f"&location_source=gps&location_certainty=68&device_number=%2B{number.lstrip('+')}").encode()
    return fields if key is None else fields + b"&hmac=" + aml_hmac(key.encode(), fields).encode()


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def _call(stack: WebStack, number: str = NUMBER, *, ago: float = 20) -> str:
    ticket, _ = await SqlTicketRepository(stack.engine).open(NewCall(
        f"l-{number}-{ago}", "u", "PJSIP/trunk-1", "0" + number[3:], number, None,
        datetime.now(UTC) - timedelta(seconds=ago), IntakeChannel.AGI))
    return ticket.number("112")


async def test_aml_https_with_a_valid_hmac_lands_on_the_call_and_is_announced_live(stack: WebStack) -> None:
    number = await _call(stack)
    assert stack.feed is not None
    events = stack.feed.subscribe()
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        sent = await client.post("/api/aml", content=els_body(), headers=FORM)
        assert (sent.status_code, sent.json()) == (200, {"status": "matched"})
        seen = await client.get(f"/api/tickets/{number}/locations", headers={"Authorization": f"Bearer {CLI_TOKEN}"})
    body = seen.json()
    assert body["ticket"] == number
    assert (body["best"]["source"], body["best"]["lat"], body["best"]["radius_m"]) == ("aml", -1.25123, 12.0)
    assert body["best"]["best"] is True
    assert body["reports"][0]["id"] == body["best"]["id"]
    message = await asyncio.wait_for(events.get(), 2)
    while message.kind != "location":
        message = await asyncio.wait_for(events.get(), 2)
    assert message.data["ticket"] == number
    assert message.data["count"] == 1
    assert message.data["best"]["source"] == "aml"


async def test_wrong_or_missing_hmac_is_refused_and_nothing_is_stored(stack: WebStack) -> None:
    await _call(stack)
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        wrong = await client.post("/api/aml", content=els_body(key="not-the-key"), headers=FORM)
        missing = await client.post("/api/aml", content=els_body(key=None), headers=FORM)
        tampered = els_body().replace(b"-1.25123", b"-1.35123")
        changed = await client.post("/api/aml", content=tampered, headers=FORM)
    assert [r.status_code for r in (wrong, missing, changed)] == [403, 403, 403]
    assert stack.locations is not None
    assert await stack.locations.unmatched_aml() == []
    ticket = await SqlTicketRepository(stack.engine).get(1)
    assert ticket is not None
    assert ticket.location is None


async def test_malformed_messages_get_400_with_the_reason(stack: WebStack) -> None:
    auth = {"Authorization": f"Bearer {AML_SMS_TOKEN}"}
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        bad_lat = await client.post("/api/aml", content=els_body(lat="nan"), headers=FORM)
        cut = await client.post("/api/aml/sms", data={"from": NUMBER, "text": 'A"ML=1;lt=+55.74317;lg=-004.26'},
                                headers=auth)
        v9 = await client.post("/api/aml/sms", json={"from": NUMBER, "text": 'A"ML=9;lo=1,2,3'}, headers=auth)
        empty = await client.post("/api/aml/sms", json={"from": NUMBER}, headers=auth)
        huge = await client.post("/api/aml", content=b"x" * 20000, headers=FORM)
    assert (bad_lat.status_code, bad_lat.json()["reasons"]) == (400, ["bad_coordinates"])
    assert (cut.status_code, cut.json()["reasons"]) == (400, ["missing_field"])
    assert (v9.status_code, v9.json()["reasons"]) == (400, ["unsupported_version"])
    assert (empty.status_code, empty.json()["reasons"]) == (400, ["missing_field"])
    assert huge.status_code == 413


async def test_sms_intake_needs_the_gateway_token(stack: WebStack) -> None:
    text = 'A"ML=2;lo=-1.25,116.83,30;et=' + str(int(datetime.now(UTC).timestamp())) + ";lc=68;ls=G"
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        none = await client.post("/api/aml/sms", data={"from": NUMBER, "text": text})
        wrong = await client.post("/api/aml/sms", data={"from": NUMBER, "text": text},
                                  headers={"Authorization": "Bearer nope"})
        right = await client.post("/api/aml/sms", data={"from": NUMBER, "text": text},
                                  headers={"Authorization": f"Bearer {AML_SMS_TOKEN}"})
    assert [none.status_code, wrong.status_code] == [403, 403]
    assert (right.status_code, right.json()) == (200, {"status": "kept"})


async def test_unmatched_aml_is_listed_for_supervisors_and_taken_by_the_next_call(stack: WebStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        assert (await client.post("/api/aml", content=els_body(), headers=FORM)).json() == {"status": "kept"}
    supervisor, _ = await logged_in(stack, "spv")
    taker, _ = await logged_in(stack, "taker01")
    try:
        listed = (await supervisor.get("/api/aml/unmatched")).json()
        assert [(a["caller_number"], a["channel"], a["location"]["lat"]) for a in listed] == [
            (NUMBER, "https", -1.25123)]
        page = await supervisor.get("/aml")
        assert page.status_code == 200
        assert "AML tanpa panggilan" in page.text
        assert NUMBER in page.text
        assert (await taker.get("/api/aml/unmatched")).status_code == 403
        assert (await taker.get("/aml")).status_code == 403
        # The call comes: opened through the intake, so TicketOpened reaches the location service.
        assert stack.locations is not None
        number = await _open_through_bus(stack)
        assert (await supervisor.get("/api/aml/unmatched")).json() == []
        seen = (await taker.get(f"/api/tickets/{number}/locations")).json()
        assert seen["best"]["source"] == "aml"
    finally:
        await supervisor.aclose()
        await taker.aclose()


async def _open_through_bus(stack: WebStack) -> str:
    from ec112.domain.events import ASTERISK, TicketOpened

    repo = SqlTicketRepository(stack.engine)
    ticket, _ = await repo.open(NewCall("later", "later", "PJSIP/trunk-1", "081234567890", NUMBER, None,
                                        datetime.now(UTC), IntakeChannel.AGI))
    assert stack.locations is not None
    await stack.locations.on_ticket_opened(TicketOpened(at=datetime.now(UTC), actor=ASTERISK, ticket=ticket))
    await stack.locations.drain()
    return ticket.number("112")


async def test_call_taker_drops_a_pin_with_csrf_and_it_becomes_the_best(stack: WebStack) -> None:
    number = await _call(stack)
    taker, headers = await logged_in(stack, "taker01")
    try:
        pin = {"lat": -1.2, "lon": 116.8, "radius_m": 25, "source": "manual", "label": "depan masjid"}
        no_csrf = await taker.post(f"/api/tickets/{number}/locations", json=pin)
        added = await taker.post(f"/api/tickets/{number}/locations", json=pin, headers=headers)
        bad = await taker.post(f"/api/tickets/{number}/locations", json={**pin, "lat": 91}, headers=headers)
        seen = (await taker.get(f"/api/tickets/{number}/locations")).json()
    finally:
        await taker.aclose()
    assert no_csrf.status_code == 403
    assert added.status_code == 201
    assert added.json()["best"] is True
    assert added.json()["label"] == "depan masjid"
    assert bad.status_code == 422
    assert seen["best"]["source"] == "manual"
    assert seen["reports"][0]["id"] == added.json()["id"]

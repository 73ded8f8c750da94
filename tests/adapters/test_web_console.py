"""The call-taker console over real HTTP (the real app, uvicorn, SQLite; Asterisk replaced by a recording
telephony and AMI events fed to presence by hand).

Who may open it and what it says to those who cannot take calls, the queue buttons (her own endpoint only,
CSRF, audit, the message when something is refused), the state fragment through a call (on call with its
ticket, wrap-up with the seconds left), the ticket card (caller, previous calls with their classification,
location or the lack of one, the form) and "my calls to classify".
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.ami.events import translate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.events import TicketOpened
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered

CALLER = "+6281311112222"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


def _text(html: str) -> str:
    """What a person reads: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def typed(raw: Mapping[str, str]) -> CallEvent:
    """A raw AMI event through the AMI adapter's translator, as the daemon's pipeline gets it."""
    event = translate(raw, datetime.now(UTC))
    assert event is not None
    return event


def _ami(event: str, t: float, **fields: str) -> CallEvent:
    """An AMI event as Asterisk sends it, through the AMI adapter's translator."""
    return typed({"Event": event, "Timestamp": f"{t:.6f}", "Queue": "112", **fields})


async def _call(stack: WebStack, n: int, number: str | None, *, by: str | None = "taker01",
                location: Location | None = None, minutes_ago: float = 30) -> Ticket:
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    ticket, _ = await repo.open(NewCall(f"l{n}", f"l{n}", f"PJSIP/trunk-{n}", number, number, None, arrived,
                                        IntakeChannel.AGI, location))
    if by is not None:
        ticket = answered(ticket, by, arrived + timedelta(seconds=4))
        await repo.save(ticket)
    return ticket


async def test_who_may_open_the_console(stack: WebStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as anon:
        response = await anon.get("/console")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fconsole"

    taker, _ = await logged_in(stack, "taker01")
    page = await taker.get("/console")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Status saya · taker01" in text
    assert "Tidak dalam antrean" in text
    assert "Tidak ada panggilan di telepon Anda." in text
    assert 'sse-connect="/api/events"' in page.text
    assert 'data-endpoint="taker01"' in page.text
    for script in ("/static/vendor/htmx.min.js", "/static/vendor/sse.js", "/static/vendor/leaflet.js",
                   "/static/js/console.js"):
        assert f'<script src="{script}"></script>' in page.text
        assert (await taker.get(script)).status_code == 200
    assert '<option value="sholat">sholat</option>' in page.text  # the centre's pause reasons
    await taker.aclose()

    spv, _ = await logged_in(stack, "spv")  # a supervisor without a desk phone: told what to do
    page = await spv.get("/console")
    assert page.status_code == 200
    assert "Akun Anda belum memiliki telepon SIP (endpoint)" in _text(page.text)
    assert "Minta administrator menghubungkan akun Anda" in _text(page.text)
    assert "sse-connect" not in page.text
    assert (await spv.get("/console/state")).status_code == 403
    await spv.aclose()

    for name in ("officer", "responder"):
        client, headers = await logged_in(stack, name)
        refused = await client.get("/console")
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "peran Anda tidak termasuk" in _text(refused.text)
        assert (await client.post("/console/login", headers=headers)).status_code == 403
        assert stack.telephony.members == set()
        await client.aclose()


async def test_queue_buttons_act_on_her_own_endpoint_and_are_audited(stack: WebStack) -> None:
    taker, headers = await logged_in(stack, "taker01")
    joined = await taker.post("/console/login", headers=headers)
    assert joined.status_code == 200
    assert _text(joined.text) == ""  # the live state shows the change
    assert joined.headers["HX-Trigger"] == "console-refresh"
    assert stack.telephony.members == {"PJSIP/taker01"}

    assert (await taker.post("/console/pause", data={"reason": "sholat"})).status_code == 403  # no CSRF token
    paused = await taker.post("/console/pause", data={"reason": "sholat"}, headers=headers)
    assert paused.status_code == 200
    assert stack.telephony.paused == {"PJSIP/taker01": "sholat"}
    refused = await taker.post("/console/pause", data={"reason": "tidur"}, headers=headers)
    assert refused.status_code == 422
    assert _text(refused.text) == "Pilih alasan jeda dari daftar."
    assert (await taker.post("/console/unpause", headers=headers)).status_code == 200
    assert stack.telephony.paused == {}
    assert (await taker.post("/console/logout", headers=headers)).status_code == 200
    assert stack.telephony.members == set()
    await taker.aclose()

    admin, _ = await logged_in(stack, "admin")
    audit = [(e["actor"], e["action"], e["target"]) for e in (await admin.get("/api/audit")).json()]
    for action in ("agent.login", "agent.pause", "agent.unpause", "agent.logout"):
        assert ("taker01", action, "taker01") in audit
    await admin.aclose()


async def test_state_follows_her_call_and_the_page_opens_on_its_ticket(stack: WebStack) -> None:
    presence = stack.presence
    assert presence is not None
    ticket = await _call(stack, 1, CALLER, by=None, minutes_ago=0.2)
    t0 = time.time() - 10
    member = {"MemberName": "taker01", "Interface": "PJSIP/taker01", "StateInterface": "PJSIP/taker01"}
    await presence.apply(_ami("QueueMemberAdded", t0, Status="1", Paused="0", InCall="0", CallsTaken="0", **member))
    taker, _ = await logged_in(stack, "taker01")
    assert "Tersedia" in _text((await taker.get("/console/state")).text)

    caller = {"Channel": "PJSIP/trunk-00000001", "CallerIDNum": CALLER, "Uniqueid": "l1", "Linkedid": "l1"}
    await presence.apply(_ami("Newchannel", t0 + 1, Context="ec112-from-trunk", Exten="112", **caller))
    presence.on_ticket_opened(TicketOpened(at=datetime.now(UTC), actor="asterisk", ticket=ticket))  # the intake's event
    await presence.apply(_ami("AgentConnect", t0 + 3, Linkedid="l1", **member))
    on_call = _text((await taker.get("/console/state")).text)
    assert "Dalam panggilan sejak" in on_call
    page = await taker.get("/console")  # opened (or reloaded) during the call: the ticket is on the page
    number = ticket.number("112")
    assert f'data-ticket="{number}"' in page.text
    assert f'data-number="{number}"' in page.text
    assert "Tidak ada panggilan di telepon Anda." in _text(page.text)  # the empty note is there, but hidden
    assert re.search(r'id="ticket-empty" class="cs-ticket-empty" hidden', page.text)

    await presence.apply(_ami("AgentComplete", time.time() - 1, Linkedid="l1", **member))
    wrap_up = (await taker.get("/console/state")).text
    assert "Penyelesaian" in _text(wrap_up)
    left = re.search(r'data-remaining="([0-9.]+)"', wrap_up)
    assert left is not None
    assert 3.0 < float(left[1]) <= 4.1  # wrap-up of 5 s, begun a second ago
    await taker.aclose()


async def test_ticket_card_shows_the_caller_previous_calls_location_and_form(stack: WebStack) -> None:
    earlier = await _call(stack, 1, CALLER, minutes_ago=90)
    here = Location(-6.2146, 106.8451, 150.0, LocationSource.PIDF_LO, datetime.now(UTC), "Cell")
    current = await _call(stack, 2, CALLER, location=here)
    withheld = await _call(stack, 3, None)
    taker, headers = await logged_in(stack, "taker01")
    done = await taker.post(f"/api/tickets/{earlier.id}/classification", headers=headers,
                            json={"classification": "prank", "revision": 0})
    assert done.status_code == 200

    card = await taker.get(f"/console/ticket/{current.number('112')}")
    assert card.status_code == 200
    text = _text(card.text)
    assert f"Tiket {current.number('112')}" in text
    assert f"Penelepon {CALLER}" in text
    assert "-6.21460, 106.84510 ± 150 m" in text
    assert 'data-lat="-6.2146" data-lon="106.8451"' in card.text
    assert 'data-radius="150.0"' in card.text
    assert 'data-tile-url=""' in card.text  # no tiles configured: nothing to fetch
    assert "Ubin peta (tile) belum dikonfigurasi" in text
    assert re.search(r"Iseng \(prank\) " + re.escape(earlier.number("112")), text)  # how the earlier one was classified
    assert f'data-revision="{current.revision}"' in card.text
    assert '<option value="kebakaran">Kebakaran</option>' in card.text
    for key, code in enumerate(("darurat", "informasi", "prank", "ghost"), start=1):
        assert re.search(rf'value="{code}">\s*<span>[^<]+</span> <kbd[^>]*>{key}</kbd>', card.text), code

    none = _text((await taker.get(f"/console/ticket/{withheld.id}")).text)
    assert "Jaringan tidak mengirim lokasi. Tanyakan kepada penelepon di mana ia berada" in none
    assert "Nomor disembunyikan" in none
    assert "Tidak diketahui: nomor disembunyikan atau tidak valid." in none
    missing = await taker.get("/console/ticket/112-261128-99999")
    assert missing.status_code == 404
    assert _text(missing.text) == "Tiket ini tidak ada (lagi)."
    await taker.aclose()


async def test_my_calls_to_classify_and_english(stack: WebStack) -> None:
    mine = await _call(stack, 1, CALLER)
    await _call(stack, 2, "+6281399990000", by="taker02")
    await _call(stack, 3, "+6281399990001", by=None)  # abandoned in the queue: nobody's
    old = await _call(stack, 4, "+6281399990002", minutes_ago=13 * 60)  # before this shift and its overtime
    taker, headers = await logged_in(stack, "taker01")
    pending = _text((await taker.get("/console/pending")).text)
    assert mine.number("112") in pending
    assert CALLER in pending
    assert "00002" not in pending
    assert "00003" not in pending
    assert old.number("112") not in pending

    await taker.post(f"/api/tickets/{mine.id}/classification", headers=headers,
                     json={"classification": "informasi", "revision": 0})
    assert "Tidak ada: semua panggilan yang Anda jawab sudah diklasifikasi." in _text(
        (await taker.get("/console/pending")).text)

    switched = await taker.post("/account/language", data={"lang": "en", "next": "/console"}, headers=headers)
    assert switched.status_code == 303
    english = _text((await taker.get("/console")).text)
    assert "My state · taker01" in english
    assert "Not in the queue" in english
    assert "Log in to the queue" in english
    assert "Keyboard shortcuts" in english
    await taker.aclose()

"""The "silent caller" button over real HTTP (the real app, uvicorn, SQLite; the AMI Originate replaced by a
recording prompter, the caller's keys fed as the AMI adapter translates Asterisk's DTMFEnd).

Who may press it (the call taker on that call, a supervisor; not another taker, not an agency officer; CSRF for a
browser session), 409 when the call is not connected, 503 when Asterisk cannot whisper, the state in the JSON API,
the live stream's `silent` event, the console card's button and the ticket page's line and timeline.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.ami.events import translate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.errors import Unavailable
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered, ended


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _call(stack: WebStack, n: int, *, by: str | None = "taker01", over: bool = False) -> Ticket:
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC) - timedelta(minutes=2)
    ticket, _ = await repo.open(NewCall(f"lab-{n}.0", f"lab-{n}.0", f"PJSIP/trunk-0000000{n}", "+6281311110000",
                                        "+6281311110000", None, arrived, IntakeChannel.AGI))
    if by is not None:
        ticket = answered(ticket, by, arrived + timedelta(seconds=4))
    if over:
        ticket = ended(ticket, arrived + timedelta(seconds=60))
    await repo.save(ticket)
    return ticket


async def _keys(stack: WebStack, ticket: Ticket, digits: str) -> None:
    assert stack.silent is not None
    for digit in digits:
        event = translate({"Event": "DTMFEnd", "Channel": ticket.channel, "Linkedid": ticket.linkedid,
                           "Uniqueid": ticket.linkedid, "Digit": digit, "Direction": "Received"}, datetime.now(UTC))
        assert event is not None
        await stack.silent.apply(event)


async def test_the_taker_on_the_call_presses_and_the_caller_confirms(stack: WebStack) -> None:
    assert stack.feed is not None
    assert stack.prompter is not None
    live = stack.feed.subscribe()
    call = await _call(stack, 1)
    number = call.number("112")
    taker, headers = await logged_in(stack, "taker01")
    try:
        before = await taker.get(f"/api/tickets/{number}/silent")
        assert before.status_code == 200
        assert before.json()["state"] is None
        refused = await taker.post(f"/api/tickets/{number}/silent")  # a browser session without its CSRF token
        assert refused.status_code == 403
        pressed = await taker.post(f"/api/tickets/{number}/silent", headers=headers)
        assert pressed.status_code == 202, pressed.text
        assert pressed.json()["state"] == "prompted"
        assert pressed.json()["prompted_by"] == "taker01"
        assert stack.prompter.whispered == ["PJSIP/trunk-00000001"]  # the caller's own channel, nothing else
        again = await taker.post(f"/api/tickets/{number}/silent", headers=headers)
        assert again.status_code == 409  # she is being asked already
        assert stack.prompter.whispered == ["PJSIP/trunk-00000001"]

        await _keys(stack, call, "5355")
        state = (await taker.get(f"/api/tickets/{number}/silent")).json()
        assert state["state"] == "confirmed"
        assert state["digits"] == "5355"
        timeline = (await taker.get(f"/api/tickets/{number}/timeline")).json()
        assert [e["kind"] for e in timeline if e["kind"].startswith("silent.")] == ["silent.prompted",
                                                                                      "silent.confirmed"]
        # The ticket page says so, in Indonesian.
        page = await taker.get(f"/tickets/{number}")
        assert re.search(r'id="ticket-silent" data-state="confirmed">Diam — penelepon mengonfirmasi<', page.text)
        assert "Penelepon diam: diminta menekan 5 5…" in page.text  # the timeline's first step
        # The console card has the button, in Indonesian first.
        card = await taker.get(f"/console/ticket/{number}")
        assert re.search(rf'data-role="silent" data-ticket="{number}"', card.text)
        assert ">Penelepon diam</button>" in card.text
    finally:
        await taker.aclose()

    silent = [m for m in _drain(live) if m.kind == "silent"]
    assert [m.data["state"] for m in silent] == ["prompted", "confirmed"]
    assert silent[-1].data["ticket"] == number


async def test_who_may_press_and_on_which_calls(stack: WebStack) -> None:
    assert stack.prompter is not None
    hers, queued, over = await _call(stack, 1), await _call(stack, 2, by=None), await _call(stack, 3, over=True)
    other, other_headers = await logged_in(stack, "taker02")
    officer, officer_headers = await logged_in(stack, "officer")
    spv, spv_headers = await logged_in(stack, "spv")
    try:
        assert (await other.post(f"/api/tickets/{hers.id}/silent", headers=other_headers)).status_code == 403
        assert (await officer.post(f"/api/tickets/{hers.id}/silent", headers=officer_headers)).status_code == 403
        assert (await spv.post(f"/api/tickets/{queued.id}/silent", headers=spv_headers)).status_code == 409
        assert (await spv.post(f"/api/tickets/{over.id}/silent", headers=spv_headers)).status_code == 409
        assert (await spv.post("/api/tickets/999/silent", headers=spv_headers)).status_code == 404
        assert stack.prompter.whispered == []
        stack.prompter.refuse = Unavailable("Asterisk is not reachable")
        down = await spv.post(f"/api/tickets/{hers.id}/silent", headers=spv_headers)
        assert down.status_code == 503
        assert (await spv.get(f"/api/tickets/{hers.id}/silent")).json()["state"] is None  # nothing stored
        stack.prompter.refuse = None
        done = await spv.post(f"/api/tickets/{hers.id}/silent", headers=spv_headers)  # a supervisor may
        assert done.status_code == 202
        assert done.json()["prompted_by"] == "spv"
    finally:
        for client in (other, officer, spv):
            await client.aclose()


def _drain(queue):  # type: ignore[no-untyped-def]
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found

"""LATIHAN on the pages that show a drill's ticket (the real app over HTTP): the ticket page and list, the agency
officer's page and the responder's page; a real ticket next to it carries none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_web_dispatch import _client, _dispatch, _text, stack  # noqa: F401  (stack: the fixture)
from web_stack import WebStack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, answered


async def _ticket(web: WebStack, n: int, *, exercise: bool) -> str:
    repo = SqlTicketRepository(web.engine)
    arrived = datetime.now(UTC) - timedelta(seconds=30)
    caller = f"+628137777000{n}"
    ticket, _ = await repo.open(NewCall(f"x{n}", f"x{n}", f"PJSIP/drill-{n}", caller, caller, None, arrived,
                                        IntakeChannel.AGI, exercise=exercise))
    await repo.save(answered(ticket, "taker01", arrived + timedelta(seconds=3)))
    return ticket.number("112")


async def test_latihan_on_every_page_that_shows_a_drills_ticket(stack: WebStack) -> None:  # noqa: F811
    taker, th = await _client(stack, "taker01")
    damkar, dh = await _client(stack, "off.damkar")
    budi, _ = await _client(stack, "resp.budi")
    drill, real = await _ticket(stack, 1, exercise=True), await _ticket(stack, 2, exercise=False)
    for number in (drill, real):
        saved = await taker.post(f"/api/tickets/{number}/classification", headers=th, json={
            "classification": "darurat", "category": "kebakaran", "description": f"uji {number}"})
        assert saved.status_code == 200, saved.text
        assert saved.json()["exercise"] is (number == drill)
    [dispatch] = await _dispatch(taker, th, drill, "damkar")
    await _dispatch(taker, th, real, "damkar")

    drill_page = await taker.get(f"/tickets/{drill}")
    assert "latihan-banner" in drill_page.text
    assert "LATIHAN Latihan (simulasi): bukan keadaan darurat nyata" in _text(drill_page.text)
    assert "latihan-banner" not in (await taker.get(f"/tickets/{real}")).text
    listing = (await taker.get("/tickets")).text
    rows = {n: listing.split(f'data-ticket="{n}"', 1)[1].split("</tr>", 1)[0] for n in (drill, real)}
    assert "LATIHAN" in rows[drill]
    assert "LATIHAN" not in rows[real]

    agency = (await damkar.get("/agency")).text
    assert agency.count("latihan-banner") == 1  # the drill's dispatch only, not the real one
    assert (await damkar.post(f"/api/dispatches/{dispatch['id']}/acknowledge", headers=dh)).status_code == 200
    assigned = await damkar.post(f"/api/dispatches/{dispatch['id']}/assign", headers=dh,
                                 json={"responder": "resp.budi"})
    assert assigned.status_code == 200, assigned.text
    assert "LATIHAN" in _text((await budi.get("/responder")).text)
    for client in (taker, damkar, budi):
        await client.aclose()

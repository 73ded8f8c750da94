"""The wallboard and the ticket pages over real HTTP (the real app, uvicorn, SQLite; only Asterisk is fed by hand).

Who may open what (an HTML 403 page, never a JSON body or a crash), what each wallboard panel shows from
presence, the KPIs and the tickets, the configurable KPI colours, and the ticket list/detail pages.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.ami.events import translate
from ec112.ami.status import DISCONNECTED_EVENT
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.kpi_ratings import KpiThresholds, higher_pct
from ec112.domain.tickets import IntakeChannel, NewCall, answered, ended, joined_queue

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


def _text(html: str) -> str:
    """What a person reads: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def _open_ticket(stack: WebStack, n: int, number: str, arrived: datetime, *, answer_after: float | None,
                       end_after: float | None) -> int:
    repo = SqlTicketRepository(stack.engine)
    ticket, _ = await repo.open(NewCall(f"l{n}", f"l{n}", f"PJSIP/trunk-{n}", number.replace("+62", "0"), number,
                                        None, arrived, IntakeChannel.AGI))
    ticket = joined_queue(ticket, arrived + timedelta(seconds=1))
    if answer_after is not None:
        ticket = answered(ticket, "taker01", arrived + timedelta(seconds=answer_after))
    if end_after is not None:
        ticket = ended(ticket, arrived + timedelta(seconds=end_after))
    await repo.save(ticket)
    return ticket.id


def typed(raw: Mapping[str, str]) -> CallEvent:
    """A raw AMI event through the AMI adapter's translator, as the daemon's pipeline gets it."""
    event = translate(raw, datetime.now(UTC))
    assert event is not None
    return event


def _ami(event: str, t: float, **fields: str) -> CallEvent:
    """An AMI event as Asterisk sends it, through the AMI adapter's translator."""
    return typed({"Event": event, "Timestamp": f"{t:.6f}", **fields})


async def test_only_supervisors_and_admins_open_the_wallboard(stack: WebStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as anon:
        for path in ("/wallboard", "/wallboard/panel/agents", "/tickets", "/tickets/1"):
            response = await anon.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
    for name in ("spv", "admin"):
        client, _ = await logged_in(stack, name)
        page = await client.get("/wallboard")
        assert page.status_code == 200, name
        assert 'sse-connect="/api/events"' in page.text
        assert "Petugas penerima panggilan" in _text(page.text)  # the call takers' panel, in Indonesian
        assert (await client.get("/wallboard/panel/kpis")).status_code == 200
        assert (await client.get("/wallboard/panel/nonsense")).status_code == 404
        await client.aclose()
    admin, headers = await logged_in(stack, "admin")
    switched = await admin.post("/account/language", data={"lang": "en", "next": "/wallboard"}, headers=headers)
    assert switched.status_code == 303
    english = _text((await admin.get("/wallboard")).text)
    for words in ("Call takers", "Service level", "0 callers waiting", "No caller is waiting.", "Open tickets",
                  "New, not yet classified", "Longest wait now", "No one is waiting"):
        assert words in english, words
    await admin.aclose()
    for name in ("taker01", "officer", "responder"):
        client, _ = await logged_in(stack, name)
        refused = await client.get("/wallboard")
        assert refused.status_code == 403, name
        assert refused.headers["content-type"].startswith("text/html")
        assert "Akses ditolak" in refused.text
        # the panel's layout and menu (only the pages her role opens): a page, not a dead end
        assert 'class="mainnav"' in refused.text
        assert 'href="/"' in refused.text
        assert ('href="/tickets"' in refused.text) is (name == "taker01")
        assert (await client.get("/wallboard/panel/agents")).status_code == 403
        assert (await client.get("/api/users")).status_code == 403
        await client.aclose()
    officer, _ = await logged_in(stack, "officer")
    tickets = await officer.get("/tickets")
    assert tickets.status_code == 403
    assert "Akses ditolak" in tickets.text
    await officer.aclose()


async def test_panels_show_the_queue_the_call_takers_ami_and_open_tickets(stack: WebStack) -> None:
    presence = stack.presence
    assert presence is not None
    t0 = time.time() - 30
    await presence.apply(_ami("QueueMemberAdded", t0, Queue="112", MemberName="taker01", Interface="PJSIP/taker01",
                              StateInterface="PJSIP/taker01", Status="1", Paused="0", InCall="0", CallsTaken="0"))
    await presence.apply(_ami("QueueMemberAdded", t0, Queue="112", MemberName="taker02", Interface="PJSIP/taker02",
                              StateInterface="PJSIP/taker02", Status="1", Paused="1", PausedReason="sholat",
                              InCall="0", CallsTaken="0"))
    caller = {"Channel": "PJSIP/trunk-00000001", "CallerIDNum": "+6281211112222", "CallerIDName": "Warga",
              "Uniqueid": "c1", "Linkedid": "c1"}
    await presence.apply(_ami("Newchannel", t0 + 10, Context="ec112-from-trunk", Exten="112", **caller))
    await presence.apply(_ami("QueueCallerJoin", t0 + 12, Queue="112", Position="1", Count="1", **caller))
    spv, _ = await logged_in(stack, "spv")

    queue = _text((await spv.get("/wallboard/panel/queue")).text)
    assert "1 penelepon menunggu" in queue
    assert "+6281211112222" in queue
    wait = re.search(r"data-since=\"([^\"]+)\"", (await spv.get("/wallboard/panel/queue")).text)
    assert wait is not None  # the wait counts from the call's arrival (Newchannel), not from the queue entry
    assert abs(datetime.fromisoformat(wait[1]) - datetime.fromtimestamp(t0 + 10, UTC)) < timedelta(milliseconds=1)

    agents = _text((await spv.get("/wallboard/panel/agents")).text)
    assert "Taker01 Lab taker01 Tersedia" in agents  # display name from the accounts, endpoint, state
    assert re.search(r"Taker02 Lab taker02 Jeda \d+:\d\d \(sholat\)", agents), agents  # state, time in it, reason
    assert "1 Tersedia" in agents
    assert "1 Jeda" in agents

    assert "AMI terputus" not in (await spv.get("/wallboard/panel/status")).text
    await presence.apply(typed({"Event": DISCONNECTED_EVENT}))
    status = _text((await spv.get("/wallboard/panel/status")).text)
    assert re.search(r"AMI terputus sejak \d+ \w+ \d{4} \d\d\.\d\d\.\d\d", status), status

    now = datetime.now(UTC) - timedelta(minutes=2)
    ids = [await _open_ticket(stack, n, f"+62813000000{n}", now, answer_after=4, end_after=60) for n in range(3)]
    taker, headers = await logged_in(stack, "taker01")
    for ticket_id, body in ((ids[0], {"classification": "prank"}),
                            (ids[1], {"classification": "darurat", "category": "kebakaran"})):
        done = await taker.post(f"/api/tickets/{ticket_id}/classification", json=body, headers=headers)
        assert done.status_code == 200, done.text
    counts = (await spv.get("/wallboard/panel/tickets")).text
    assert re.search(r'data-status="new">1<', counts)
    assert re.search(r'data-status="classified">1<', counts)
    assert re.search(r'data-status="closed">1<', counts)
    assert "Terklasifikasi, menunggu diteruskan" in counts
    for client in (spv, taker):
        await client.aclose()


@pytest.fixture
async def strict_stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    thresholds = KpiThresholds(answered_within_10s_pct=higher_pct(100, 50))
    async for s in start_stack(tmp_path, thresholds=thresholds):
        yield s


async def test_kpi_colours_follow_the_configured_thresholds(strict_stack: WebStack) -> None:
    arrived = datetime.now(UTC) - timedelta(seconds=90)
    await _open_ticket(strict_stack, 1, "+6281300000001", arrived, answer_after=4, end_after=30)
    await _open_ticket(strict_stack, 2, "+6281300000002", arrived, answer_after=15, end_after=40)
    spv, _ = await logged_in(strict_stack, "spv")
    html = (await spv.get("/wallboard/panel/kpis")).text

    def today(kpi: str) -> tuple[str, str]:
        cell = re.search(rf'data-period="today" data-kpi="{kpi}" data-rating="(\w+)">(.*?)</td>', html, re.S)
        assert cell is not None, kpi
        return cell[1], _text(cell[2])

    # 1 of 2 answered within 10 s = 50 %: amber with green ≥ 100 / amber ≥ 50 (the default 90/75 says red)
    assert today("answered_within_10s") == ("amber", "50 % Waspada")
    assert today("abandon_rate") == ("green", "0 % Sesuai target")  # nobody abandoned
    assert today("avg_answer") == ("amber", "10 s Waspada")  # (4 + 15) / 2 = 9.5 s: default amber up to 10 s
    assert re.search(r'data-period="today" data-kpi="answered">2<', html)
    assert "≥ 100 % / ≥ 50 %" in html  # the targets are shown as configured
    assert "Tidak ada yang menunggu" in _text(html)
    await spv.aclose()


async def test_ticket_list_searches_pages_and_shows_the_timeline(stack: WebStack) -> None:
    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ids = [await _open_ticket(stack, n, number, arrived + timedelta(minutes=n), answer_after=5, end_after=60)
           for n, number in enumerate(["+6281311112222", "+6281399990000", "+6281311112222"])]
    taker, headers = await logged_in(stack, "taker01")
    classified = await taker.post(f"/api/tickets/{ids[2]}/classification", headers=headers, json={
        "classification": "darurat", "category": "kebakaran", "address": "Jl. Sudirman 10"})
    number = classified.json()["number"]

    listing = await taker.get("/tickets")
    assert listing.status_code == 200
    assert "Menampilkan 1–3 dari 3" in _text(listing.text)
    assert re.findall(r'data-ticket="([^"]+)"', listing.text)[0] == number  # newest first

    by_caller = _text((await taker.get("/tickets", params={"q": "0813 1111 2222"})).text)
    assert "Menampilkan 1–2 dari 2" in by_caller
    only_classified = await taker.get("/tickets", params={"status": "classified"})
    assert re.findall(r'data-ticket="([^"]+)"', only_classified.text) == [number]
    assert "Darurat · Kebakaran" in _text(only_classified.text)

    first = await taker.get("/tickets", params={"limit": 2})
    assert "Menampilkan 1–2 dari 3" in _text(first.text)
    older = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert older is not None
    second = await taker.get(older[1].replace("&amp;", "&"))
    assert "Menampilkan 3–3 dari 3" in _text(second.text)
    assert 'rel="prev"' in second.text

    local_day = (arrived + timedelta(minutes=1)).astimezone(WIB).date()
    next_day = _text((await taker.get("/tickets", params={"from": str(local_day + timedelta(days=1))})).text)
    assert "Tidak ada tiket yang cocok." in next_day
    bad = _text((await taker.get("/tickets", params={"from": "2026-13-40"})).text)
    assert "Tanggal tidak valid" in bad
    backwards = _text((await taker.get("/tickets", params={"from": str(local_day), "to": "2020-01-01"})).text)
    assert "Tanggal awal tidak boleh setelah tanggal akhir." in backwards

    detail = await taker.get(f"/tickets/{number}")
    assert detail.status_code == 200
    timeline = re.findall(r'data-kind="(\w+)"', detail.text)
    assert timeline == ["arrived", "queued", "answered", "ended", "classified"]
    text = _text(detail.text)
    assert "Dijawab petugas oleh taker01" in text
    assert "Diklasifikasikan oleh taker01" in text
    assert "Jl. Sudirman 10" in text
    answered_at = (arrived + timedelta(minutes=2, seconds=5)).astimezone(WIB)
    assert answered_at.strftime("%H.%M.%S") in text  # local time (WIB), as Babel writes it in Indonesian
    assert "Panggilan sebelumnya dari nomor ini" in text  # the same caller called before

    missing = await taker.get("/tickets/112-000101-99999")
    assert missing.status_code == 404
    assert "Tidak ditemukan" in missing.text
    await taker.aclose()


async def test_supervisor_sees_unreachable_phones_and_no_answer_alarms_and_resumes_in_one_click(
    stack: WebStack,
) -> None:
    presence, guard = stack.presence, stack.no_answer
    assert presence is not None
    assert guard is not None
    t0 = time.time() - 60
    for endpoint in ("taker01", "taker02", "taker03"):
        await presence.apply(_ami("QueueMemberAdded", t0, Queue="112", MemberName=endpoint,
                                  Interface=f"PJSIP/{endpoint}", StateInterface=f"PJSIP/{endpoint}", Status="1",
                                  Paused="0", InCall="0", CallsTaken="0"))
    gone_at = t0 + 20
    await presence.apply(_ami("QueueMemberStatus", gone_at, Queue="112", MemberName="taker02",
                              Interface="PJSIP/taker02", Status="5", Paused="0", InCall="0"))
    spv, headers = await logged_in(stack, "spv")
    agents = _text((await spv.get("/wallboard/panel/agents")).text)
    gone_local = datetime.fromtimestamp(gone_at, WIB).strftime("%H:%M:%S")
    assert re.search(rf"taker02 Telepon tidak terjangkau \d+:\d\d sejak {gone_local}", agents), agents
    assert "1 Telepon tidak terjangkau" in agents

    ring_out = _ami("AgentRingNoAnswer", t0 + 30, Queue="112", MemberName="taker03", Interface="PJSIP/taker03",
                    RingTime="3000", Linkedid="c9")
    await presence.apply(ring_out)
    await guard.apply(ring_out)
    assert stack.telephony.paused == {"PJSIP/taker03": "tidak menjawab"}
    await presence.apply(_ami("QueueMemberPause", t0 + 30, Queue="112", MemberName="taker03",
                              Interface="PJSIP/taker03", Paused="1", PausedReason="tidak menjawab"))
    alarms = await spv.get("/wallboard/panel/alarms")
    assert re.search(r"taker03 tidak menjawab panggilan 112: dijeda \(tidak menjawab\) sejak \d\d:\d\d:\d\d Lanjutkan",
                     _text(alarms.text)), _text(alarms.text)
    button = re.search(r'<button[^>]*hx-post="([^"]+)"[^>]*>\s*Lanjutkan', alarms.text)
    assert button is not None
    assert button[1] == "/api/agents/taker03/unpause"

    resumed = await spv.post(button[1], headers=headers)  # what htmx sends: the page's CSRF header
    assert resumed.status_code == 204, resumed.text
    assert stack.telephony.paused == {}
    entries = [(e.actor, e.action, e.target) for e in await stack.audit.recent(10)]
    assert ("ec112", "agent.pause", "taker03") in entries
    assert ("spv", "agent.unpause", "taker03") in entries
    await presence.apply(_ami("QueueMemberPause", t0 + 40, Queue="112", MemberName="taker03",
                              Interface="PJSIP/taker03", Paused="0", PausedReason=""))
    assert "taker03" not in _text((await spv.get("/wallboard/panel/alarms")).text)

    # The last taker serving rings out: kept in the queue, and the supervisor is told so.
    await presence.apply(_ami("QueueMemberPause", t0 + 41, Queue="112", MemberName="taker01",
                              Interface="PJSIP/taker01", Paused="1", PausedReason="sholat"))
    await guard.apply(_ami("AgentRingNoAnswer", t0 + 42, Queue="112", MemberName="taker03",
                           Interface="PJSIP/taker03", RingTime="3000", Linkedid="c9"))
    kept = _text((await spv.get("/wallboard/panel/alarms")).text)
    assert "taker03 tidak menjawab panggilan 112 pukul" in kept
    assert "tidak dijeda: petugas terakhir yang masih melayani" in kept
    assert stack.telephony.paused == {}
    await spv.aclose()

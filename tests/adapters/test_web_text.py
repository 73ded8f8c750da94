"""Text to 112 over real HTTP: the conversation (JSON and page), the call taker's answer (1 KB of UTF-8, delivery
failure kept and shown), the console's list of open conversations, the ticket list's badge, the timeline, the
live stream's ``text`` event (no body on it), and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.domain.errors import Unavailable
from ec112.domain.text_messages import IncomingText

BODY = "Tolong, saya tuli. Rumah terbakar di Jl. Merdeka 5"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _conversation(stack: WebStack) -> str:
    assert stack.texts is not None
    ticket = await stack.texts.receive(IncomingText("1796190117-1", datetime.now(UTC), "10.1.2.3:5060",
                                                    "081234567890", BODY))
    return ticket.number("112")


async def test_a_call_taker_reads_and_answers_a_text_conversation(stack: WebStack) -> None:
    assert stack.feed is not None
    live = stack.feed.subscribe()
    number = await _conversation(stack)
    taker, headers = await logged_in(stack, "taker01")
    try:
        got = (await taker.get(f"/api/tickets/{number}/messages")).json()
        assert (got["caller"], got["max_bytes"]) == ("081234567890", 1024)
        assert [(m["direction"], m["body"], m["status"]) for m in got["messages"]] == [("in", BODY, "received")]

        sent = await taker.post(f"/api/tickets/{number}/messages", json={"body": "Damkar menuju. 🚒"}, headers=headers)
        assert sent.status_code == 201, sent.text
        assert (sent.json()["status"], sent.json()["author"], sent.json()["bytes"]) == ("sent", "taker01", 19)
        assert stack.sender is not None
        assert stack.sender.sent == [("pjsip:trunk/sip:081234567890@10.1.2.3:5060", "sip:112@ec112",
                                      "Damkar menuju. 🚒")]

        too_long = await taker.post(f"/api/tickets/{number}/messages", json={"body": "🚒" * 257}, headers=headers)
        assert too_long.status_code == 422
        assert "1028 bytes" in too_long.json()["message"]

        stack.sender.refuse = Unavailable("Asterisk is not reachable")
        failed = await taker.post(f"/api/tickets/{number}/messages", json={"body": "Halo?"}, headers=headers)
        assert failed.status_code == 201
        assert (failed.json()["status"], failed.json()["error"]) == ("failed", "Asterisk is not reachable")

        page = await taker.get(f"/texts/{number}")
        assert page.status_code == 200
        assert BODY in page.text
        assert "Damkar menuju." in page.text
        assert "tidak terkirim: Asterisk is not reachable" in page.text  # Indonesian first
        assert 'id="text-reply"' in page.text

        panel = await taker.get("/console/texts")
        assert f'href="/texts/{number}"' in panel.text
        assert "Pesan teks ke 112" in panel.text

        listing = await taker.get("/tickets")
        assert f'<a class="text-badge" href="/texts/{number}">Teks</a>' in listing.text

        timeline = (await taker.get(f"/api/tickets/{number}/timeline")).json()
        assert [(e["kind"], e["actor"], e["data"]["body"]) for e in timeline if e["kind"].startswith("text.")] == [
            ("text.in", "081234567890", BODY), ("text.out", "taker01", "Damkar menuju. 🚒"),
            ("text.out", "taker01", "Halo?")]
        detail = await taker.get(f"/tickets/{number}")
        assert "Pesan teks dari warga" in detail.text
        assert BODY in detail.text
    finally:
        await taker.aclose()

    kinds = []
    while not live.empty():
        message = live.get_nowait()
        kinds.append(message.kind)
        if message.kind == "text":
            assert "Tolong" not in message.text  # the stream says a message moved, never what it says
    assert kinds.count("text") == 5  # in, then each answer twice: sending, then sent / failed
    stack.feed.unsubscribe(live)


async def test_only_text_tickets_have_a_conversation_and_only_workers_answer(stack: WebStack) -> None:
    number = await _conversation(stack)
    spv, spv_headers = await logged_in(stack, "officer")
    try:
        refused = await spv.post(f"/api/tickets/{number}/messages", json={"body": "x"}, headers=spv_headers)
        assert refused.status_code == 403
    finally:
        await spv.aclose()
    taker, headers = await logged_in(stack, "taker01")
    try:
        assert (await taker.get("/api/tickets/999/messages")).status_code == 404
        no_csrf = await taker.post(f"/api/tickets/{number}/messages", json={"body": "x"})
        assert no_csrf.status_code == 403
        empty = await taker.post(f"/api/tickets/{number}/messages", json={"body": "   "}, headers=headers)
        assert empty.status_code == 422
        opened = (await taker.get("/api/texts")).json()["conversations"]
        assert [c["ticket"] for c in opened] == [number]
    finally:
        await taker.aclose()

"""Callbacks over real HTTP (the real app, uvicorn, SQLite; Asterisk's Originate recorded): the JSON API, the panel
the console and the wallboard show, who may call back, and the live stream's ``callback`` messages."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from test_web_console import typed
from web_stack import CLI_TOKEN, WebStack, logged_in, start_stack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.callbacks import CallbackTask, escalate
from ec112.domain.tickets import IntakeChannel, NewCall, ended, joined_queue


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _abandoned_task(stack: WebStack, n: int = 1, number: str = "+6281355501234") -> CallbackTask:
    repo = SqlTicketRepository(stack.engine)
    now = datetime.now(UTC)
    ticket, _ = await repo.open(NewCall(f"l{n}", f"l{n}", f"PJSIP/trunk-{n}", number, number, None,
                                        now - timedelta(seconds=10), IntakeChannel.AGI))
    gone = ended(joined_queue(ticket, now - timedelta(seconds=9)), now - timedelta(seconds=2))
    await repo.save(gone)
    assert stack.callbacks is not None
    task = await stack.callbacks.consider(gone)
    assert task is not None
    return task


@contextlib.asynccontextmanager
async def _as(stack: WebStack, username: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    client, headers = await logged_in(stack, username)
    try:
        yield client, headers
    finally:
        await client.aclose()


async def _free(stack: WebStack, taker: str, since: float) -> None:
    """The taker logged into the queue and free since ``since`` (presence, as AMI would tell it)."""
    member = {"MemberName": taker, "Interface": f"PJSIP/{taker}", "StateInterface": f"PJSIP/{taker}"}
    await stack.presence.apply(typed({"Event": "QueueMemberAdded", "Timestamp": f"{since:.6f}", "Queue": "112",
                                      "Status": "1", "Paused": "0", "InCall": "0", "CallsTaken": "0", **member}))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def test_the_api_lists_tasks_and_a_taker_takes_and_calls_back(stack: WebStack) -> None:
    task = await _abandoned_task(stack)
    async with _as(stack, "taker01") as (client, headers):
        [listed] = (await client.get("/api/callbacks")).json()
        assert (listed["id"], listed["number"], listed["reason"], listed["status"], listed["escalated"]) == (
            task.id, "+6281355501234", "abandoned", "open", False)
        assert 110 < listed["seconds_left"] <= 120
        assert listed["ticket"].startswith("112-")
        assert listed["ticket"].endswith("-00001")
        taken = await client.post(f"/api/callbacks/{task.id}/take", headers=headers)
        assert (taken.status_code, taken.json()["taken_by"]) == (200, "taker01")
        called = await client.post(f"/api/callbacks/{task.id}/call", headers=headers)
        assert (called.status_code, called.json()["status"]) == (200, "calling")
        assert stack.dialer is not None
        assert stack.dialer.calls == [{"task_id": task.id, "endpoint": "taker01", "number": "+6281355501234",
                                       "shown_name": listed["ticket"]}]
        wrong = await client.post(f"/api/callbacks/{task.id}/outcome", headers=headers, json={"outcome": "sideways"})
        assert wrong.status_code == 422
        manual = await client.post(f"/api/callbacks/{task.id}/outcome", headers=headers,
                                   json={"outcome": "wrong_number"})
        assert (manual.status_code, manual.json()["status"], manual.json()["outcome"]) == (200, "done", "wrong_number")
        assert (await client.get("/api/callbacks")).json() == []
        timeline = (await client.get(f"/api/tickets/{listed['ticket']}/timeline")).json()
        assert [(e["kind"], e["actor"]) for e in timeline if e["kind"].startswith("callback.")] == [
            ("callback.created", "ec112"), ("callback.taken", "taker01"), ("callback.calling", "taker01"),
            ("callback.outcome", "taker01")]
        page = _text((await client.get(f"/tickets/{listed['ticket']}")).text)
        assert "Tugas telepon balik dibuat" in page
        assert "Hasil telepon balik" in page
        assert "Nomor salah" in page


async def test_a_task_taken_by_someone_else_or_unknown_is_refused(stack: WebStack) -> None:
    task = await _abandoned_task(stack)
    async with _as(stack, "taker01") as (first, h1), _as(stack, "taker02") as (second, h2):
        assert (await first.post(f"/api/callbacks/{task.id}/take", headers=h1)).status_code == 200
        refused = await second.post(f"/api/callbacks/{task.id}/call", headers=h2)
        assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
        assert (await second.post("/api/callbacks/99999/take", headers=h2)).status_code == 404
        assert (await second.post(f"/api/callbacks/{task.id}/take")).status_code == 403  # no CSRF token


async def test_roles_without_a_desk_phone_cannot_call_back(stack: WebStack) -> None:
    task = await _abandoned_task(stack)
    # a supervisor without an endpoint in this stack
    async with _as(stack, "officer") as (officer, h_officer), _as(stack, "spv") as (spv, h_spv):
        assert (await officer.get("/api/callbacks")).status_code == 403
        assert (await officer.post(f"/api/callbacks/{task.id}/call", headers=h_officer)).status_code == 403
        no_phone = await spv.post(f"/api/callbacks/{task.id}/call", headers=h_spv)
        assert no_phone.status_code == 403
        assert (await spv.get("/api/callbacks", headers={"Authorization": f"Bearer {CLI_TOKEN}"})).status_code == 200


async def test_the_console_panel_offers_the_task_and_calls_back_with_one_click(stack: WebStack) -> None:
    task = await _abandoned_task(stack)
    async with _as(stack, "taker01") as (client, headers):
        console = await client.get("/console")
        assert 'hx-get="/callbacks/panel?view=console"' in console.text
        assert "/static/js/callbacks.js" in console.text
        panel = await client.get("/callbacks/panel?view=console")
        text = _text(panel.text)
        assert "+6281355501234" in text
        assert "Menutup telepon dalam antrean" in text  # Indonesian first
        assert "Telepon balik" in text
        assert f'data-deadline="{task.deadline.isoformat()}"' in panel.text
        assert "cb-offered" not in panel.text  # she is not free (not in the queue): offered to nobody yet
        await _free(stack, "taker01", time.time())
        offered = await client.get("/callbacks/panel?view=console")
        assert "cb-offered" in offered.text
        assert "Ditawarkan kepada Anda" in _text(offered.text)
        clicked = await client.post(f"/callbacks/{task.id}/call", headers=headers)
        assert clicked.status_code == 200
        assert "Menelepon…" in _text(clicked.text)
        assert "taker01" in _text(clicked.text)


async def test_each_open_task_is_offered_to_one_free_taker_the_most_urgent_to_the_one_free_longest(
    stack: WebStack,
) -> None:
    first = await _abandoned_task(stack, 1, "+6281355500001")  # the earliest deadline: the most urgent
    second = await _abandoned_task(stack, 2, "+6281355500002")
    now = time.time()
    await _free(stack, "taker02", now - 120)  # free for two minutes
    await _free(stack, "taker01", now - 5)
    for taker, mine, other in (("taker02", first, second), ("taker01", second, first)):
        async with _as(stack, taker) as (client, _headers):
            html = (await client.get("/callbacks/panel?view=console")).text
            offered = re.findall(r'<li class="cb-task[^"]*cb-offered[^"]*"\s+data-callback="(\d+)"', html)
            assert offered == [str(mine.id)], (taker, offered)
            assert f'data-callback="{other.id}"' in html  # she still sees the other one (and may take it)


async def test_the_wallboard_shows_escalated_tasks_highlighted(stack: WebStack) -> None:
    task = await _abandoned_task(stack)
    assert stack.callbacks is not None
    store = stack.callbacks._store
    step = escalate(task, at=task.deadline)
    assert step is not None
    await store.record(step)
    async with _as(stack, "spv") as (client, _):
        board = await client.get("/wallboard")
        assert 'hx-get="/callbacks/panel?view=wallboard"' in board.text
        panel = await client.get("/callbacks/panel?view=wallboard")
        assert "cb-escalated" in panel.text
        assert "Dieskalasi ke supervisor" in _text(panel.text)
        assert "hx-post" not in panel.text  # the wallboard only shows


async def test_the_live_stream_says_callback(stack: WebStack) -> None:
    assert stack.feed is not None
    queue = stack.feed.subscribe()
    task = await _abandoned_task(stack)
    messages = [queue.get_nowait() for _ in range(queue.qsize())]
    [created] = [m for m in messages if m.kind == "callback"]
    assert (created.data["id"], created.data["kind"], created.data["status"]) == (task.id, "callback.created", "open")

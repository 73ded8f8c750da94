"""Signed webhooks over real loopback HTTP: ec112's notifier, a real SQLite delivery log and a receiver that
checks each signature the way an agency's system would (harness/webhook_receiver.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from harness.webhook_receiver import WebhookReceiver
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from web_stack import WebStack, logged_in, start_stack

from ec112.db.engine import create_engine, migrate
from ec112.db.webhooks import SqlWebhookLog
from ec112.domain.agencies import Agency, AlternateContact
from ec112.services.notifications import Channel, DeliveryQuery, DeliveryStatus, WebhookDelivery
from ec112.webhooks import RetryPolicy, WebhookNotifier, verify_signature

SECRETS = {"damkar": "rahasia-damkar-0123456789", "pmi": "rahasia-pmi-0123456789abc"}
FAST = RetryPolicy(max_attempts=3, backoff_min=0.05, backoff_max=0.2)
DISPATCH = {"ticket": "112-000042", "dispatch_id": 7, "category": "kebakaran",
            "address": "Jl. Kebon Sirih No. 2, Menteng", "caller": "+6281311112222"}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRETS) as r:
        yield r


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}")
    await migrate(eng)
    yield eng
    await eng.dispose()


def _agency(code: str, url: str | None) -> Agency:
    return Agency(code, f"Dinas {code}", code.title(), webhook_url=url)


@contextlib.asynccontextmanager
async def running(notifier: WebhookNotifier) -> AsyncIterator[WebhookNotifier]:
    task = asyncio.create_task(notifier.run())
    try:
        yield notifier
    finally:
        await notifier.close(grace=1.0)
        async with asyncio.timeout(5):
            await task


async def _settled(log: SqlWebhookLog, count: int, timeout: float = 10.0) -> list[WebhookDelivery]:
    """The log once ``count`` deliveries are no longer pending (oldest first)."""
    async with asyncio.timeout(timeout):
        while True:
            rows = list(reversed(await log.search(DeliveryQuery(limit=100))))
            if len([d for d in rows if d.status is not DeliveryStatus.PENDING]) >= count:
                return rows
            await asyncio.sleep(0.02)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_dispatch_notification_arrives_signed_and_is_logged_delivered(
        engine: AsyncEngine, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ec112")
    log = SqlWebhookLog(engine)
    damkar = _agency("damkar", receiver.url_for("damkar"))
    async with running(WebhookNotifier(log, SECRETS, timeout=2, policy=FAST)) as notifier:
        await notifier.notify(damkar, "dispatch.created", DISPATCH)
        (got,) = await receiver.wait_for(1)
        (delivery,) = await _settled(log, 1)

    assert len(receiver.requests()) == 1  # sent once
    assert got.signature_ok
    assert got.answered == 200
    assert verify_signature(SECRETS["damkar"], got.headers["x-ec112-timestamp"], got.body,
                            got.headers["x-ec112-signature"])
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-ec112-event"] == "dispatch.created"
    assert got.delivery == str(delivery.id)
    assert abs(int(got.headers["x-ec112-timestamp"]) - time.time()) < 10
    assert got.body == delivery.body.encode("utf-8")  # exactly the stored bytes
    assert got.json["event"] == "dispatch.created"
    assert got.json["id"] == delivery.id
    assert got.json["agency"] == "damkar"
    assert got.json["data"] == DISPATCH
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got.json["sent_at"])

    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED, 1, 200, None)
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    # Logs: ids and outcomes, never the secret, the caller's data or the URL.
    assert f"webhook delivery {delivery.id}" in caplog.text
    for private in (SECRETS["damkar"], "+6281311112222", "Kebon Sirih", receiver.url_for("damkar")):
        assert private not in caplog.text


async def test_two_errors_then_success_takes_three_attempts_with_the_same_body(
        engine: AsyncEngine, receiver: WebhookReceiver) -> None:
    log = SqlWebhookLog(engine)
    receiver.fail_next(2, status=500)
    async with running(WebhookNotifier(log, SECRETS, timeout=2, policy=RetryPolicy(5, 0.1, 1.0))) as notifier:
        await notifier.notify(_agency("pmi", receiver.url_for("pmi")), "dispatch.escalated.alternate",
                              {"dispatch_id": 9, "overdue_seconds": 61})
        got = await receiver.wait_for(3)
        (delivery,) = await _settled(log, 1)

    assert [r.answered for r in receiver.requests()] == [500, 500, 200]  # and nothing more
    assert all(r.signature_ok for r in got)  # every attempt is signed (with its own timestamp)
    assert {r.body for r in got} == {delivery.body.encode("utf-8")}
    assert {r.delivery for r in got} == {str(delivery.id)}
    assert got[1].at - got[0].at >= 0.1 * 0.8  # backoff: ~0.1 s, then ~0.2 s (±20 %)
    assert got[2].at - got[1].at >= 0.2 * 0.8
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)


async def test_a_receiver_that_is_down_gets_retries_then_the_delivery_fails(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    gone = _agency("damkar", f"http://127.0.0.1:{_closed_port()}/hooks/damkar")
    async with running(WebhookNotifier(log, SECRETS, timeout=1, policy=FAST)) as notifier:
        await notifier.notify(gone, "dispatch.created", DISPATCH)
        (delivery,) = await _settled(log, 1)

    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 3, None)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("ConnectError")
    assert delivery.next_attempt_at is None
    assert delivery.delivered_at is None


async def test_an_error_answer_on_every_attempt_fails_with_the_last_status(
        engine: AsyncEngine, receiver: WebhookReceiver) -> None:
    log = SqlWebhookLog(engine)
    receiver.fail_next(3, status=503)
    async with running(WebhookNotifier(log, SECRETS, timeout=2, policy=FAST)) as notifier:
        await notifier.notify(_agency("damkar", receiver.url_for("damkar")), "dispatch.created", DISPATCH)
        (delivery,) = await _settled(log, 1)
    assert len(receiver.requests()) == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.FAILED, 3, 503, "HTTP 503")


async def test_a_pending_delivery_survives_a_restart_and_is_sent_after_it(
        engine: AsyncEngine, receiver: WebhookReceiver) -> None:
    log = SqlWebhookLog(engine)
    damkar = _agency("damkar", receiver.url_for("damkar"))
    # 1st run: stored, but the process "dies" before its worker ever sends it (no run()).
    await WebhookNotifier(log, SECRETS, policy=FAST).notify(damkar, "dispatch.created", {"n": 1})
    # 2nd run: the send is in flight (the receiver does not answer) when the daemon stops.
    receiver.hang_next(1)
    second = WebhookNotifier(log, SECRETS, timeout=30, policy=FAST)
    task = asyncio.create_task(second.run())
    await receiver.wait_for(1)
    await second.notify(damkar, "dispatch.created", {"n": 2})
    await receiver.wait_for(2)
    await second.close(grace=0.2)
    async with asyncio.timeout(5):
        await task
    after_stop = {d.json["data"]["n"]: d for d in receiver.requests()}
    assert after_stop[1].answered is None  # cut while in flight
    assert after_stop[2].answered == 200
    assert [d.status for d in reversed(await log.search(DeliveryQuery()))] == [
        DeliveryStatus.PENDING, DeliveryStatus.DELIVERED]

    # 3rd run: the cut delivery goes out again, same id and body (the receiver drops duplicates by id).
    async with running(WebhookNotifier(log, SECRETS, timeout=2, policy=FAST)):
        got = await receiver.wait_for(3)
        rows = await _settled(log, 2)
    assert got[2].delivery == got[0].delivery
    assert got[2].body == got[0].body
    assert got[2].signature_ok
    assert got[2].answered == 200
    assert [(d.status, d.attempts) for d in rows] == [(DeliveryStatus.DELIVERED, 1), (DeliveryStatus.DELIVERED, 1)]


async def test_notify_returns_fast_and_never_raises_when_the_receiver_hangs(
        engine: AsyncEngine, receiver: WebhookReceiver) -> None:
    log = SqlWebhookLog(engine)
    receiver.hang_next(100)
    damkar = _agency("damkar", receiver.url_for("damkar"))
    async with running(WebhookNotifier(log, SECRETS, timeout=0.5, policy=RetryPolicy(2, 0.05, 0.1),
                                       concurrency=2)) as notifier:
        for n in range(6):
            started = time.monotonic()
            await notifier.notify(damkar, "dispatch.created", {"n": n})
            assert time.monotonic() - started < 0.5
        rows = await _settled(log, 6, timeout=20)
    assert {(d.status, d.attempts, d.last_error) for d in rows} == {
        (DeliveryStatus.FAILED, 2, "no answer within 0.5 s")}


async def test_notify_swallows_what_cannot_be_sent_and_never_sends_unsigned(
        engine: AsyncEngine, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    log = SqlWebhookLog(engine)
    async with running(WebhookNotifier(log, SECRETS, timeout=1, policy=FAST)) as notifier:
        await notifier.notify(_agency("bpbd", receiver.url_for("bpbd")), "dispatch.created", DISPATCH)  # no secret
        await notifier.notify(_agency("pmi", None), "dispatch.created", DISPATCH)  # no webhook: nothing
        await notifier.notify(_agency("damkar", receiver.url_for("damkar")), "dispatch.created", {"x": object()})
        await notifier.notify(_agency("damkar", receiver.url_for("damkar")), "x" * 41, DISPATCH)
        (refused,) = await _settled(log, 1)
        await asyncio.sleep(0.3)
    assert receiver.requests() == []
    assert (refused.agency, refused.status, refused.attempts) == ("bpbd", DeliveryStatus.FAILED, 0)
    assert refused.last_error == "no webhook secret for agency 'bpbd': not sent unsigned"
    assert "cannot be encoded" in caplog.text
    assert "bad webhook event name" in caplog.text


async def test_a_notification_waits_in_memory_while_the_database_is_away(
        engine: AsyncEngine, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ec112")
    log = SqlWebhookLog(engine)
    damkar = _agency("damkar", receiver.url_for("damkar"))
    async with running(WebhookNotifier(log, SECRETS, timeout=1, policy=RetryPolicy(3, 0.05, 0.2))) as notifier:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_away"))
        await notifier.notify(damkar, "dispatch.created", DISPATCH)  # the insert fails: no exception here
        await asyncio.sleep(0.3)
        assert receiver.requests() == []
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE webhook_deliveries_away RENAME TO webhook_deliveries"))
        (got,) = await receiver.wait_for(1, timeout=15)
        (delivery,) = await _settled(log, 1)
    assert got.signature_ok
    assert json.loads(got.body)["data"] == DISPATCH
    assert delivery.status is DeliveryStatus.DELIVERED
    assert "kept in memory until the database is back" in caplog.text
    for private in ("Kebon Sirih", "+6281311112222", receiver.url_for("damkar")):  # the SQL error quotes them
        assert private not in caplog.text


# --- the delivery log over the JSON API ----------------------------------------------------------------------
@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def _login(stack: WebStack, username: str) -> httpx.AsyncClient:
    return (await logged_in(stack, username))[0]


async def test_supervisors_read_the_delivery_log_without_bodies_or_url_tokens(
        stack: WebStack, receiver: WebhookReceiver) -> None:
    log = SqlWebhookLog(stack.engine)
    receiver.fail_next(1, status=502, agency="damkar")
    async with running(WebhookNotifier(log, SECRETS, timeout=2, policy=RetryPolicy(1, 0.05, 0.1))) as notifier:
        await notifier.notify(_agency("damkar", receiver.url_for("damkar") + "?token=gw-token"),
                              "dispatch.created", DISPATCH)
        await notifier.notify(_agency("pmi", receiver.url_for("pmi")), "dispatch.created", DISPATCH)
        await _settled(log, 2)

    spv = await _login(stack, "spv")
    try:
        everything = await spv.get("/api/webhook-deliveries")
        assert everything.status_code == 200, everything.text
        rows = everything.json()
        assert [(r["agency"], r["status"], r["attempts"], r["last_status_code"]) for r in rows] == [
            ("pmi", "delivered", 1, 200), ("damkar", "failed", 1, 502)]
        assert rows[1]["last_error"] == "HTTP 502"
        assert rows[1]["url"] == receiver.url_for("damkar")  # the query string (a gateway token) is not shown
        assert "gw-token" not in everything.text
        assert "Kebon Sirih" not in everything.text  # no bodies
        failed = await spv.get("/api/webhook-deliveries", params={"agency": "damkar", "status": "failed"})
        assert [r["agency"] for r in failed.json()] == ["damkar"]
        assert (await spv.get("/api/webhook-deliveries", params={"limit": 1})).json()[0]["agency"] == "pmi"
        assert (await spv.get("/api/webhook-deliveries", params={"status": "lost"})).status_code == 422
    finally:
        await spv.aclose()
    taker = await _login(stack, "taker01")
    try:
        assert (await taker.get("/api/webhook-deliveries")).status_code == 403
    finally:
        await taker.aclose()
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get("/api/webhook-deliveries")).status_code == 401


# --- start-up ------------------------------------------------------------------------------------------------
def test_serve_refuses_a_webhook_url_without_its_secret(tmp_path: Path) -> None:
    """`ec112 serve` exits 78 (no restart) naming what to set; it never starts to send unsigned."""
    built_in = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    assert built_in.count('webhook_url = ""') >= 1
    path = tmp_path / "agencies.toml"
    path.write_text(built_in.replace('webhook_url = ""', 'webhook_url = "https://wa-gateway.example/hook"', 1),
                    encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("EC112_")}
    env |= {"EC112_LAB_MODE": "1", "EC112_VAR_DIR": str(tmp_path / "var"), "EC112_WATCHDOG__TIMEOUT": "3",
            "EC112_CALLCENTER__AGENCIES_FILE": str(path), "EC112_WEBHOOKS__SECRETS__PMI": "a-secret-for-another"}
    done = subprocess.run([sys.executable, "-m", "ec112", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 78, done.stderr
    assert "agency 'damkar' has a webhook_url but no secret" in done.stderr
    assert "EC112_WEBHOOKS__SECRETS__DAMKAR" in done.stderr
    assert "not restarting" in done.stderr
    assert "Traceback" not in done.stderr
    assert "a-secret-for-another" not in done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_daemon_resumes_a_pending_delivery_at_start_and_stops_cleanly(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    """The real `ec112 serve` (no Asterisk needed): a delivery left pending by an earlier run goes out signed."""
    built_in = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    path = tmp_path / "agencies.toml"
    path.write_text(built_in.replace('webhook_url = ""', f'webhook_url = "{receiver.url_for("damkar")}"', 1),
                    encoding="utf-8")
    var = tmp_path / "var"
    var.mkdir()
    engine = create_engine(f"sqlite+aiosqlite:///{var / 'ec112.sqlite3'}")
    await migrate(engine)
    earlier = WebhookNotifier(SqlWebhookLog(engine), SECRETS)  # "the earlier run": stored, never sent
    await earlier.notify(_agency("damkar", receiver.url_for("damkar")), "dispatch.created", DISPATCH)
    await engine.dispose()

    env = {key: value for key, value in os.environ.items() if not key.startswith("EC112_")}
    env |= {"EC112_LAB_MODE": "1", "EC112_VAR_DIR": str(var), "EC112_CALLCENTER__AGENCIES_FILE": str(path),
            "EC112_WEBHOOKS__SECRETS__DAMKAR": SECRETS["damkar"], "EC112_AMI__PORT": str(_closed_port()),
            "EC112_AGI__PORT": str(_free_port()), "EC112_WEB__PORT": str(_free_port()),
            "EC112_WATCHDOG__ENABLED": "0"}
    log_path = tmp_path / "ec112.log"
    with log_path.open("wb") as out:
        daemon = subprocess.Popen([sys.executable, "-m", "ec112", "serve"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    try:
        (got,) = await receiver.wait_for(1, timeout=30)
        assert got.signature_ok
        assert got.json["data"] == DISPATCH
        engine = create_engine(f"sqlite+aiosqlite:///{var / 'ec112.sqlite3'}")
        try:
            (delivery,) = await _settled(SqlWebhookLog(engine), 1)
        finally:
            await engine.dispose()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    finally:
        daemon.terminate()
        code = await asyncio.to_thread(daemon.wait, 30)
    output = log_path.read_text(errors="replace")
    assert code == 0, output
    assert f"webhook delivery {delivery.id} (damkar, dispatch.created): delivered" in output
    assert SECRETS["damkar"] not in output
    assert "Kebon Sirih" not in output


async def test_the_alternate_contacts_channels_are_signed_with_their_secret_and_logged_as_theirs(
        engine: AsyncEngine) -> None:
    """Part E (issue 15): the same event to the alternate's webhook and its SMS gateway, each signed with the
    ``<code>-alternate`` secret, in the delivery log under its channel; the agency's own webhook gets nothing."""
    secrets = {"pmi": SECRETS["pmi"], "pmi-alternate": "rahasia-cadangan-pmi-0001"}
    with WebhookReceiver({"pmi": secrets["pmi"], "alt": secrets["pmi-alternate"],
                          "sms": secrets["pmi-alternate"]}) as receiver:
        contact = AlternateContact("Kabid PMI", "0812 7777 8888", receiver.url_for("alt"), receiver.url_for("sms"))
        pmi = Agency("pmi", "PMI", "PMI", webhook_url=receiver.url_for("pmi"), alternate_contact=contact)
        log = SqlWebhookLog(engine)
        async with running(WebhookNotifier(log, secrets, timeout=2, policy=FAST)) as notifier:
            await notifier.notify(pmi, "dispatch.escalated.alternate", {"alternate": {"name": "Kabid PMI"}},
                                  Channel.ALTERNATE)
            await notifier.notify(pmi, "dispatch.escalated.alternate", {"to": "0812 7777 8888"}, Channel.SMS)
            await receiver.wait_for(2)
            rows = await _settled(log, 2)
    assert sorted(r.agency for r in receiver.requests()) == ["alt", "sms"]  # the paths: never pmi's own
    assert all(r.signature_ok and r.json["agency"] == "pmi" for r in receiver.requests())
    assert [(d.channel, d.status) for d in rows] == [(Channel.ALTERNATE, DeliveryStatus.DELIVERED),
                                                    (Channel.SMS, DeliveryStatus.DELIVERED)]

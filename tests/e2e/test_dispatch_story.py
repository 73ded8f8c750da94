"""The people after the call, in real headless Chromium against the real `ec112 serve`, Asterisk and SIPp phones.

The acceptance story: a real 112 call answered by the taker's SIPp phone pops up in her console; she classifies it
kebakaran and dispatches it to Damkar (proposed first) from the browser; Damkar's officer (a phone, 390×844) sees it
come in live, acknowledges it and assigns Budi; Budi (a phone that shares its GPS position) sets off, handles it and
finishes it with a note and a photo; the ticket's timeline (API and page) has every step with who and when, the
chain KPIs have Damkar's intervals and the 60-second share, Damkar's webhook got a validly signed
``dispatch.created`` carrying the ticket number, and the taker closes the ticket.

Then, each on its own stack: an unacknowledged dispatch escalates on time (the wallboard's red alarm, the
timeline, then the alternate contact's own webhook and SMS gateway, signed and naming the contact — never BPBD's own
webhook a second time); a step out of order and someone else's assignment are refused; a
tampered audit row is found by `ec112 audit verify`. Screenshots: artifacts/e2e/dispatch-*.png.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from harness import CitizenCall, PidfCircle, TakerPhone
from harness.daemon import Ec112Daemon
from harness.webhook_receiver import WebhookReceiver
from playwright.sync_api import expect

from .browser import GuardedContext, artifacts_dir, screenshot
from .wallboard_support import api_session, browser_login, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "sandi-opd-112-aman"
SECRETS = {"damkar": "rahasia-webhook-damkar-01", "bpbd": "rahasia-webhook-bpbd-0001"}
ALTERNATE_SECRET = "rahasia-cadangan-bpbd-001"  # [webhooks.secrets] bpbd-alternate: signs both alternate channels
BPBD_ALTERNATE = """
[agency.alternate]
name = "Kalaksa BPBD"
phone = "0812 4444 5555"
webhook_url = {webhook}
sms_gateway_url = {sms}
"""
CALLER = "+6281298765432"
SCENE = {"latitude": -6.21512, "longitude": 106.84633, "accuracy": 12}
RESPONDERS = """
[[responder]]
username = "resp.budi"
agency = "damkar"
name = "Budi Santoso"
phone = "0812 1111 2222"

[[responder]]
username = "resp.sari"
agency = "damkar"
name = "Sari Wulandari"
"""


# --- the stack -------------------------------------------------------------------------------------------------
def _agency(text: str, code: str, **set_values: str) -> str:
    """The agencies file with ``key = value`` lines set in the [[agency]] table of ``code``."""
    head, *tables = text.split("\n[[agency]]\n")
    for i, table in enumerate(tables):
        if f'code = "{code}"' in table:
            for key, value in set_values.items():
                line = f'{key} = ""' if key == "webhook_url" else None
                if line and line in table:
                    table = table.replace(line, f"{key} = {value}", 1)
                else:
                    table = table.replace(f'code = "{code}"\n', f'code = "{code}"\n{key} = {value}\n', 1)
            tables[i] = table
    return "\n[[agency]]\n".join([head, *tables])


def configure(daemon: Ec112Daemon, tmp_path: Path, receiver: WebhookReceiver, *, bpbd_ack: int | None = None) -> None:
    """The shipped agencies file with Damkar's (and BPBD's) signed webhook to the receiver and two responders of
    Damkar; BPBD may get a short time to acknowledge (escalation in seconds), and then its alternate contact (the
    receiver's ``bpbd-alternate`` and ``bpbd-sms`` paths) replaces the shipped DEMO one."""
    text = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    text = _agency(text, "damkar", webhook_url=json.dumps(receiver.url_for("damkar")))
    bpbd: dict[str, str] = {"webhook_url": json.dumps(receiver.url_for("bpbd"))}
    if bpbd_ack is not None:
        bpbd["ack_timeout_seconds"] = str(bpbd_ack)
    text = _agency(text, "bpbd", **bpbd)
    if bpbd_ack is not None:
        head, demo, tail = text.partition(BPBD_DEMO)
        assert demo, "the shipped file changed: BPBD's DEMO alternate not found"
        text = head + BPBD_ALTERNATE.format(webhook=json.dumps(receiver.url_for("bpbd-alternate")),
                                            sms=json.dumps(receiver.url_for("bpbd-sms"))) + tail
        daemon.env["EC112_WEBHOOKS__SECRETS__BPBD_ALTERNATE"] = ALTERNATE_SECRET
    path = tmp_path / "agencies.toml"
    path.write_text(text + RESPONDERS, encoding="utf-8")
    assert daemon.cli("agencies", "check", str(path)).returncode == 0
    daemon.env["EC112_CALLCENTER__AGENCIES_FILE"] = str(path)
    for code, secret in SECRETS.items():
        daemon.env[f"EC112_WEBHOOKS__SECRETS__{code.upper()}"] = secret


BPBD_DEMO = """
[agency.alternate]  # DEMO: ganti / replace
name = "Kepala Bidang Kedaruratan dan Logistik BPBD (DEMO)"
phone = "0000 0000 0002"  # DEMO: nomor palsu / a fake number
webhook_url = ""
sms_gateway_url = ""
"""


def add_user(daemon: Ec112Daemon, username: str, role: str, *, endpoint: str | None = None,
             agency: str | None = None, name: str = "") -> None:
    """`ec112 user add`, the password on stdin, as an administrator would script it."""
    args = [sys.executable, "-m", "ec112", "user", "add", username, "--role", role, "--password-stdin",
            "--name", name or username]
    if endpoint:
        args += ["--endpoint", endpoint]
    if agency:
        args += ["--agency", agency]
    result = subprocess.run(args, env=daemon.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"ec112 user add {username}: {result.stdout}\n{result.stderr}"


def api(daemon: Ec112Daemon, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The JSON API with the daemon's local CLI token (an administrator)."""
    return httpx.request(method, f"{daemon.base_url}{path}", headers=daemon.auth_headers(), timeout=10, **kwargs)


def emergency_ticket(daemon: Ec112Daemon, citizen_call: Callable[..., CitizenCall], caller: str) -> str:
    """A real 112 call (nobody takes it: the caller hangs up), classified kebakaran through the API."""
    citizen_call(caller_number=caller, hang_up_after_ms=2500)
    number = str(daemon.wait_for_tickets(lambda ts: any(t["caller_number"] == caller for t in ts))[-1]["number"])
    saved = api(daemon, "POST", f"/api/tickets/{number}/classification", json={
        "classification": "darurat", "category": "kebakaran", "address": "Pasar Baru, Blok C",
        "description": "Kios terbakar"})
    assert saved.status_code == 200, saved.text
    return number


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A real PNG (red), small enough for any phone."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def page_errors(*contexts: GuardedContext) -> list[str]:
    return [p for c in contexts for p in c.problems if "pageerror" in p or "[error]" in p]


# --- the acceptance story ----------------------------------------------------------------------------------------
@pytest.mark.ec112_not_started
def test_a_fire_call_is_dispatched_handled_in_the_field_and_closed(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    with WebhookReceiver(SECRETS) as receiver:
        configure(ec112, tmp_path, receiver)
        ec112.start()
        base = ec112.base_url
        add_user(ec112, "siti", "call_taker", endpoint="taker01", name="Siti Petugas")
        add_user(ec112, "spv01", "supervisor", name="Supervisor Shift")
        add_user(ec112, "off.damkar", "agency_officer", agency="damkar", name="Dewi Damkar")
        add_user(ec112, "resp.budi", "responder", agency="damkar", name="Budi Santoso")
        taker("taker01", ring_ms=300, talk_ms=4000, max_calls=1)
        ec112.cli("agent", "login", "taker01")

        desk = new_context()
        console = desk.new_page()
        browser_login(console, base, "siti", PASSWORD, "/console")
        expect(console.get_by_role("navigation", name="Menu utama").get_by_role("link")).to_have_text(
            ["Konsol", "Kejadian diketahui", "Tiket"])  # her menu: only what a call taker opens
        officer_ctx = new_context(mobile=True)
        officer = officer_ctx.new_page()
        browser_login(officer, base, "off.damkar", PASSWORD, "/agency")
        expect(officer.locator("#field")).to_have_attribute("data-connection", "live")
        expect(officer.locator(".fd-empty")).to_have_text("Tidak ada tugas terbuka untuk instansi Anda.")
        field_ctx = new_context(mobile=True, geolocation=SCENE, permissions=["geolocation"])
        responder = field_ctx.new_page()
        browser_login(responder, base, "resp.budi", PASSWORD, "/responder")
        expect(responder.locator("#field")).to_have_attribute("data-connection", "live")
        for p in (console, officer, responder):
            p.evaluate("() => { window.__same_document = true; }")

        # A real 112 call with a network location; the taker's phone answers; the ticket pops up.
        call = citizen_call(caller_number=CALLER, location=PidfCircle(-6.2146, 106.8451, 80), name="story")
        card = console.locator(".cs-ticket-card").first
        expect(card).to_be_visible(timeout=30_000)
        number = card.get_attribute("data-number")
        assert number
        card.locator('input[value="darurat"]').check()
        card.locator("select[name=category]").select_option("kebakaran")
        card.locator("input[name=address]").fill("Jl. Kenanga No. 7, RT 02/RW 04")
        card.locator("textarea[name=description]").fill("Dapur rumah terbakar, api menjalar ke atap")
        card.get_by_role("button", name="Simpan").click()
        expect(card.locator('.cs-form-message[data-role="message"]')).to_have_text("Tersimpan.")

        # Her card now offers the agencies with authority for kebakaran, in /api/categories' order, Damkar first
        # and ticked; the others on request.
        dispatch = card.locator(".cs-dispatch")
        expect(dispatch).to_be_visible()
        proposed = {c["code"]: c["agencies"] for c in ec112.get("/api/categories")}["kebakaran"]
        assert proposed[0] == "damkar"
        choice = dispatch.locator(".cs-agency-choice input[name=agency]")
        expect(choice).to_have_count(len(proposed))
        assert [choice.nth(i).get_attribute("value") for i in range(len(proposed))] == proposed
        expect(choice.first).to_be_checked()
        expect(dispatch.locator(".cs-agency-choice .cs-agency").first).to_contain_text("Damkar")
        dispatch.locator("summary", has_text="Instansi lain").click()
        expect(dispatch.locator(".cs-other-agencies .cs-agency", has_text="Dinkes")).to_be_visible()
        dispatch.get_by_role("button", name="Kirim ke OPD").click()
        expect(dispatch.locator('[data-role="dispatch-message"]')).to_have_text("Terkirim ke OPD.")
        item = dispatch.locator('.cs-dispatch-item[data-agency="damkar"]')
        expect(item).to_contain_text("Terkirim, menunggu diterima")
        screenshot(console, "dispatch-console-sent")

        # Damkar's officer: it comes in by itself, with what she needs, and a countdown to acknowledge it.
        job = officer.locator(f'article.fd-card:has(.fd-number:text-is("{number}"))')
        expect(job).to_be_visible()
        expect(job.locator(".fd-caller")).to_contain_text(CALLER)
        expect(job.locator(".fd-address")).to_have_text("Jl. Kenanga No. 7, RT 02/RW 04")
        expect(job.locator(".fd-description")).to_have_text("Dapur rumah terbakar, api menjalar ke atap")
        expect(job.locator(".fd-category")).to_have_text("Kebakaran")
        expect(job.locator(".fd-coords")).to_have_text("-6.21460, 106.84510")
        expect(job.locator(".fd-map-link")).to_have_attribute("href", "geo:-6.214600,106.845100?q=-6.214600,106.845100")
        countdown = job.locator(".fd-countdown")
        first_left = wait_for("countdown", lambda: countdown.inner_text().strip())
        expect(countdown).not_to_have_text(first_left, timeout=5_000)  # the countdown ticks
        assert officer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(officer, "dispatch-agency-page-390x844", full_page=False)
        job.get_by_role("button", name="Terima").click()
        expect(job.locator(".fd-status")).to_have_text("Diterima")
        expect(job.locator(".fd-acked")).to_contain_text("Diterima oleh off.damkar")
        expect(item).to_contain_text("diterima oleh off.damkar")  # the taker's console follows live
        job.locator("select[name=responder]").select_option("resp.budi")
        job.get_by_role("button", name="Tugaskan").click()
        expect(job.locator(".fd-acked")).to_contain_text("Petugas lapangan: Budi Santoso")
        expect(item).to_contain_text("petugas Budi Santoso")

        # Budi, in the field: his assignment arrives; one big button per step, his GPS position with each.
        mine = responder.locator(f'article.fd-card:has(.fd-number:text-is("{number}"))')
        expect(mine).to_be_visible()
        expect(mine.locator(".fd-address")).to_have_text("Jl. Kenanga No. 7, RT 02/RW 04")
        mine.get_by_role("button", name="Berangkat").click()
        expect(mine.locator(".fd-status")).to_have_text("Dalam perjalanan")
        expect(mine.locator(".fd-message")).to_have_text("Posisi terkirim: -6.21512, 106.84633 (± 12 m)")
        expect(item).to_contain_text("Dalam perjalanan")
        field_ctx.context.set_geolocation({"latitude": -6.21470, "longitude": 106.84520, "accuracy": 8})
        mine.get_by_role("button", name="Menangani").click()
        expect(mine.locator(".fd-status")).to_have_text("Sedang menangani")
        mine.get_by_role("button", name="Selesai").click()  # no note yet: refused here
        expect(mine.locator(".fd-message")).to_have_text("Tulis catatan penyelesaian dulu.")
        mine.locator("textarea[name=note]").fill("Api padam pukul 10.40, satu dapur rusak, tidak ada korban")
        mine.locator("input[name=photo]").set_input_files(
            {"name": "dapur.png", "mimeType": "image/png", "buffer": tiny_png()})
        assert responder.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(responder, "dispatch-responder-page-390x844", full_page=False)
        mine.get_by_role("button", name="Selesai").click()
        expect(mine).to_have_count(0)  # done: off his list
        expect(responder.locator(".fd-empty")).to_have_text("Belum ada tugas untuk Anda saat ini.")
        expect(item).to_contain_text("Selesai")
        expect(job).to_have_count(0)  # and off the agency's open list
        assert call.wait(timeout=30) == 0, call.diagnostics()

        # The timeline has every step, who and when, in order.
        timeline = ec112.get(f"/api/tickets/{number}/timeline")
        steps = [(e["kind"], e["actor"]) for e in timeline]
        chain = [("classified", "siti"), ("dispatch.created", "siti"), ("dispatch.acknowledged", "off.damkar"),
                 ("dispatch.assigned", "off.damkar"), ("dispatch.responding", "resp.budi"),
                 ("dispatch.processing", "resp.budi"), ("dispatch.resolved", "resp.budi")]
        assert [s for s in steps if s in chain] == chain, steps
        assert steps.index(("answered", "taker01")) < steps.index(chain[0])
        times = [e["at"] for e in timeline]
        assert times == sorted(times)
        by_kind = {e["kind"]: e["data"] for e in timeline}
        assert by_kind["dispatch.assigned"]["responder"] == "resp.budi"
        assert by_kind["dispatch.responding"]["position"] == {"lat": -6.21512, "lon": 106.84633}
        assert by_kind["dispatch.processing"]["position"] == {"lat": -6.2147, "lon": 106.8452}
        resolved = by_kind["dispatch.resolved"]
        assert resolved["note"] == "Api padam pukul 10.40, satu dapur rusak, tidak ada korban"
        photo = api(ec112, "GET", f"/api/dispatches/{resolved['dispatch_id']}/photos/{resolved['photo']}")
        assert photo.status_code == 200
        assert photo.content == tiny_png()

        # … and the ticket's page shows them, with the positions and the photo.
        detail = desk.new_page()
        detail.goto(f"{base}/tickets/{number}")
        kinds = detail.locator("#ticket-timeline li[data-kind]").evaluate_all("els => els.map(e => e.dataset.kind)")
        assert [k for k in kinds if k in dict(chain)] == [k for k, _ in chain]
        done = detail.locator('#ticket-timeline li[data-kind="dispatch.resolved"]')
        expect(done).to_contain_text("Diselesaikan petugas lapangan")
        expect(done).to_contain_text("oleh resp.budi")
        expect(done).to_contain_text("-6.21470, 106.84520")
        expect(done).to_contain_text("Api padam pukul 10.40")
        detail.wait_for_function("() => document.querySelector('.timeline-photo img').naturalWidth === 24")
        acknowledged = detail.locator('#ticket-timeline li[data-kind="dispatch.acknowledged"]')
        expect(acknowledged).to_contain_text("oleh off.damkar")
        screenshot(detail, "dispatch-ticket-timeline")

        # The chain KPIs: Damkar's four intervals, and this ticket dispatched within 60 s of the answer.
        today = next(p for p in ec112.get("/api/kpis/dispatch") if p["name"] == "today")
        damkar = next(a for a in today["agencies"] if a["key"] == "damkar")
        assert (damkar["dispatches"], damkar["resolved"]) == (1, 1)
        for interval in ("answer_to_dispatch", "dispatch_to_ack", "ack_to_responding", "responding_to_resolved"):
            stats = damkar["intervals"][interval]
            assert stats["count"] == 1, interval
            assert 0 <= stats["median_seconds"] < 120, (interval, stats)
        assert damkar["intervals"]["answer_to_dispatch"]["median_seconds"] <= 60
        assert today["call_processing"] == {"tickets": 1, "within_target": 1, "pct_within_target": 100.0,
                                            "target_seconds": 60.0}
        assert [r["key"] for r in today["responders"]] == ["resp.budi"]

        # Damkar's own system got the dispatch, signed with the shared secret, carrying the ticket number.
        created = wait_for("dispatch.created webhook", lambda: [
            r for r in receiver.requests() if r.agency == "damkar" and r.json["event"] == "dispatch.created"])
        assert created[0].signature_ok
        assert created[0].answered == 200
        assert created[0].json["data"]["ticket"] == number
        assert created[0].json["data"]["caller_number"] == CALLER

        # The supervisor's wallboard: the 60-second target met, green.
        board = new_context(viewport={"width": 1920, "height": 1080}).new_page()
        browser_login(board, base, "spv01", PASSWORD, "/wallboard")
        target = board.locator('#wb-call-processing td[data-period="today"]')
        expect(target).to_have_attribute("data-rating", "green")
        expect(target).to_contain_text("100 %")
        expect(target).to_contain_text("Sesuai target")

        # The taker closes the ticket from her console.
        close = dispatch.get_by_role("button", name="Tutup tiket")
        expect(close).to_be_visible()
        close.click()
        expect(console.locator(f'.cs-ticket-card[data-number="{number}"] .cs-dispatch-finished')).to_have_text(
            "Tiket ini sudah ditutup.")
        assert ec112.get(f"/api/tickets/{number}")["status"] == "closed"
        screenshot(console, "dispatch-console-closed")

        # The EIDO-style export, through the CLI.
        out = tmp_path / "export.json"
        ec112.cli("tickets", "export", number, "--out", str(out))
        exported = json.loads(out.read_text(encoding="utf-8"))
        assert number in json.dumps(exported)
        for p in (console, officer, responder):
            assert p.evaluate("() => window.__same_document === true")  # live all along, never reloaded
        assert page_errors(desk, officer_ctx, field_ctx) == []


# --- escalation ---------------------------------------------------------------------------------------------------
@pytest.mark.ec112_not_started
def test_an_unacknowledged_dispatch_escalates_on_time(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
    tmp_path: Path,
) -> None:
    with WebhookReceiver({**SECRETS, "bpbd-alternate": ALTERNATE_SECRET, "bpbd-sms": ALTERNATE_SECRET}) as receiver:
        configure(ec112, tmp_path, receiver, bpbd_ack=3)
        ec112.start()
        add_user(ec112, "spv01", "supervisor")
        add_user(ec112, "off.bpbd", "agency_officer", agency="bpbd")
        ctx = new_context(viewport={"width": 1920, "height": 1080})
        board = ctx.new_page()
        browser_login(board, ec112.base_url, "spv01", PASSWORD, "/wallboard")
        expect(board.locator("#wallboard")).to_have_attribute("data-connection", "live")
        phone_ctx = new_context(mobile=True)
        officer = phone_ctx.new_page()
        browser_login(officer, ec112.base_url, "off.bpbd", PASSWORD, "/agency")
        expect(officer.locator("#field")).to_have_attribute("data-connection", "live")
        number = emergency_ticket(ec112, citizen_call, "+6281211110003")

        sent = api(ec112, "POST", f"/api/tickets/{number}/dispatches", json={"agencies": ["bpbd"]})
        assert sent.status_code == 200, sent.text
        started = time.monotonic()
        alarm = board.locator('#wb-dispatch-alarms .wb-alarm[data-agency="bpbd"]')
        board.wait_for_timeout(2000)
        expect(alarm).to_have_count(0)  # not before its 3 s
        expect(alarm).to_be_visible(timeout=6000)
        appeared = time.monotonic() - started
        assert 2.5 <= appeared <= 3.0 + 3.0, f"alarm after {appeared:.1f} s"  # deadline + a few seconds
        expect(alarm).to_contain_text("BPBD")
        expect(alarm).to_contain_text(f"belum menerima tiket {number}")
        expect(alarm).to_contain_text("terlambat")
        screenshot(board, "dispatch-wallboard-alarm")

        # One more acknowledgement time later: the alternate contact is told through its own channels.
        timeline = wait_for("alternate escalation", lambda: [
            e for e in ec112.get(f"/api/tickets/{number}/timeline") if e["kind"] == "dispatch.escalated.alternate"],
            timeout=10)
        kinds = [e["kind"] for e in ec112.get(f"/api/tickets/{number}/timeline") if e["kind"].startswith("dispatch.")]
        assert kinds == ["dispatch.created", "dispatch.escalated.supervisor", "dispatch.escalated.alternate"]
        events = {e["kind"]: e for e in ec112.get(f"/api/tickets/{number}/timeline")}
        assert 0 <= events["dispatch.escalated.supervisor"]["data"]["overdue_seconds"] <= 2
        assert events["dispatch.escalated.supervisor"]["actor"] == "ec112"
        assert 3 <= timeline[0]["data"]["overdue_seconds"] <= 5
        def alternates() -> list[Any]:
            got = sorted((r for r in receiver.requests() if r.agency.startswith("bpbd-")), key=lambda r: r.path)
            return got if len(got) >= 2 else []

        second, sms = wait_for("alternate webhook and SMS", alternates)
        assert (second.agency, sms.agency) == ("bpbd-alternate", "bpbd-sms")
        assert second.signature_ok  # signed with [webhooks.secrets] bpbd-alternate
        assert sms.signature_ok
        assert second.headers["x-ec112-event"] == sms.json["event"] == "dispatch.escalated.alternate"
        assert second.json["agency"] == sms.json["agency"] == "bpbd"
        assert second.json["data"]["ticket"] == sms.json["data"]["ticket"] == number
        assert second.json["data"]["escalation"] == 2
        assert second.json["data"]["alternate"] == sms.json["data"]["alternate"] == {
            "name": "Kalaksa BPBD", "phone": "0812 4444 5555"}
        assert sms.json["data"]["to"] == "0812 4444 5555"
        assert sms.json["data"]["text"] == (f"112: tiket {number} (Kebakaran) belum diterima BPBD. Mohon segera "
                                            "tindak lanjuti. Lokasi: Pasar Baru, Blok C")
        # BPBD's own webhook heard of the dispatch once, and nothing of the escalation (its system failed already).
        assert [r.json["event"] for r in receiver.requests() if r.agency == "bpbd"] == ["dispatch.created"]
        def settled() -> list[tuple[str, str]]:
            rows = api(ec112, "GET", "/api/webhook-deliveries", params={"agency": "bpbd"}).json()
            return sorted((d["channel"], d["status"]) for d in rows) if all(
                d["status"] != "pending" for d in rows) and len(rows) >= 3 else []

        logged = wait_for("the delivery log", settled)
        assert logged == [("agency", "delivered"), ("alternate", "delivered"), ("sms", "delivered")]
        expect(alarm).to_contain_text("kontak cadangan Kalaksa BPBD diberi tahu")

        # On BPBD's phone the overdue dispatch stands out; the officer acknowledges at last: the alarm goes, live.
        late = officer.locator(f'article.fd-card:has(.fd-number:text-is("{number}"))')
        expect(late).to_have_class("fd-card fd-escalated")
        expect(late.locator(".fd-alarm")).to_have_text(
            "Belum diterima tepat waktu: kontak cadangan Kalaksa BPBD (0812 4444 5555) sudah diberi tahu")
        expect(late.locator(".fd-countdown")).to_contain_text("terlambat 0:")
        screenshot(officer, "dispatch-agency-escalated-390x844", full_page=False)
        late.get_by_role("button", name="Terima").click()
        expect(late.locator(".fd-status")).to_have_text("Diterima")
        expect(late).to_have_class("fd-card")
        expect(alarm).to_have_count(0)
        assert page_errors(ctx, phone_ctx) == []


# --- refusals -----------------------------------------------------------------------------------------------------
@pytest.mark.ec112_not_started
def test_a_step_out_of_order_and_someone_elses_assignment_are_refused(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
    tmp_path: Path,
) -> None:
    with WebhookReceiver(SECRETS) as receiver:
        configure(ec112, tmp_path, receiver)
        ec112.start()
        for name, role in (("off.damkar", "agency_officer"), ("resp.budi", "responder"), ("resp.sari", "responder")):
            add_user(ec112, name, role, agency="damkar")
        number = emergency_ticket(ec112, citizen_call, "+6281211110004")
        (sent,) = api(ec112, "POST", f"/api/tickets/{number}/dispatches", json={"agencies": ["damkar"]}).json()
        officer, oh = api_session(ec112.base_url, "off.damkar", PASSWORD)
        assert officer.post(f"/api/dispatches/{sent['id']}/acknowledge", headers=oh).status_code == 200
        assert officer.post(f"/api/dispatches/{sent['id']}/assign", headers=oh,
                            json={"responder": "resp.budi"}).status_code == 200

        budi, bh = api_session(ec112.base_url, "resp.budi", PASSWORD)
        skipped = budi.post(f"/api/dispatches/{sent['id']}/advance", headers=bh,
                            json={"to": "resolved", "note": "sudah beres"})
        assert skipped.status_code == 422
        assert skipped.json() == {"code": "invalid_request", "message": (
            "dispatch to damkar is acknowledged: it cannot go to resolved (only from processing)")}
        sari, sh = api_session(ec112.base_url, "resp.sari", PASSWORD)
        theirs = sari.post(f"/api/dispatches/{sent['id']}/advance", headers=sh, json={"to": "responding"})
        assert theirs.status_code == 403
        assert theirs.json()["message"] == "this assignment belongs to another responder"
        assert api(ec112, "GET", f"/api/dispatches/{sent['id']}").json()["dispatch"]["status"] == "acknowledged"

        # In Sari's browser there is nothing of Budi's to press.
        page = new_context(mobile=True).new_page()
        browser_login(page, ec112.base_url, "resp.sari", PASSWORD, "/responder")
        expect(page.locator(".fd-empty")).to_have_text("Belum ada tugas untuk Anda saat ini.")
        for client in (officer, budi, sari):
            client.close()
        kinds = [e["kind"] for e in ec112.get(f"/api/tickets/{number}/timeline") if e["kind"].startswith("dispatch.")]
        assert kinds == ["dispatch.created", "dispatch.acknowledged", "dispatch.assigned"]  # nothing refused got in
        hooks = receiver.requests() or wait_for("webhook", receiver.requests)
        assert [r.json["event"] for r in hooks] == ["dispatch.created"]


# --- the audit log ------------------------------------------------------------------------------------------------
@pytest.mark.ec112_not_started
def test_a_tampered_audit_row_is_found_by_audit_verify(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], tmp_path: Path,
) -> None:
    with WebhookReceiver(SECRETS) as receiver:
        configure(ec112, tmp_path, receiver)
        ec112.start()
        add_user(ec112, "off.damkar", "agency_officer", agency="damkar")
        number = emergency_ticket(ec112, citizen_call, "+6281211110005")
        (sent,) = api(ec112, "POST", f"/api/tickets/{number}/dispatches", json={"agencies": ["damkar"]}).json()
        officer, oh = api_session(ec112.base_url, "off.damkar", PASSWORD)
        assert officer.post(f"/api/dispatches/{sent['id']}/acknowledge", headers=oh).status_code == 200
        officer.close()
        intact = ec112.cli("audit", "verify")
        assert "audit log intact" in intact.stdout

        # An attacker with the database file rewrites who acknowledged: drops the trigger, edits the row.
        pg = ec112.database == "postgresql"
        (row_id,) = ec112.sql("SELECT id FROM audit_log WHERE action = 'dispatch.acknowledge'") or (None,)
        edit = "UPDATE audit_log SET actor = 'off.bpbd' WHERE id = ?"
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)):
            ec112.sql(edit, row_id)  # the trigger refuses
        ec112.sql("DROP TRIGGER audit_log_no_update" + (" ON audit_log" if pg else ""))
        ec112.sql(edit, row_id)

        tampered = ec112.cli("audit", "verify", check=False)
        assert tampered.returncode == 8
        assert f"AUDIT LOG TAMPERED at entry {row_id}" in tampered.stderr
        report = json.loads(ec112.cli("audit", "verify", "--json", check=False).stdout)
        assert (report["ok"], report["bad_id"]) == (False, row_id)
        (artifacts_dir() / "dispatch-audit-verify.txt").write_text(tampered.stderr, encoding="utf-8")

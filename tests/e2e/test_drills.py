"""A drill in the browser (issue 14): `ec112 drill run` places three calls from the `drill` endpoint (pjsua2) to
two call takers logged in to their consoles in Chromium (their desk phones answer).

Each console card shows LATIHAN; the takers classify in the browser (one category deliberately wrong), the
emergencies are dispatched; the tickets are exercise, the real live KPIs do not move, and the drill report (API
and page) says exactly what the test did: who answered which call after how long, classification and dispatch
correct or not, time to dispatch. Screenshots: artifacts/e2e/drill-console-latihan.png, drill-report.png.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from harness import TakerPhone
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e

SCENARIO = """
name = "Latihan uji e2e"
queue = "real"
[[call]]
at_seconds = 0
caller = "081255501001"
hangup_after_seconds = 7
audio = { text = "Rumah terbakar di Riko", lang = "id" }
[call.expect]
classification = "darurat"
category = "kebakaran"
agencies = ["damkar"]
within_seconds = 120
[[call]]
at_seconds = 0.5
caller = "081255501002"
hangup_after_seconds = 7
audio = { text = "Banjir di Babulu", lang = "id" }
[call.expect]
classification = "darurat"
category = "banjir"
agencies = ["bpbd"]
within_seconds = 120
[[call]]
at_seconds = 16
caller = "081255501003"
hangup_after_seconds = 5
audio = { text = "Hahaha bercanda", lang = "id" }
[call.expect]
classification = "prank"
"""
# what the takers do with each caller's ticket: (classification, category, agencies dispatched)
DONE = {"081255501001": ("darurat", "kebakaran", ["damkar"]),
        "081255501002": ("darurat", "longsor", ["bpbd"]),  # wrong category: classification not correct
        "081255501003": ("prank", None, [])}


def classify(page: Page, number: str, classification: str, category: str | None) -> None:
    card = page.locator(f'.cs-ticket-card[data-number="{number}"]')
    expect(card.locator(".latihan-banner")).to_contain_text("LATIHAN")
    card.locator(f'input[name=classification][value="{classification}"]').check()
    if category:
        card.locator("select[name=category]").select_option(category)
    card.locator("textarea[name=description]").fill("latihan")
    card.locator("textarea[name=description]").focus()
    page.keyboard.press("Control+Enter")
    expect(card.locator(".cs-form-message[data-role=message]")).to_have_text("Tersimpan.")


def test_a_drill_against_two_takers_in_the_browser(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
    new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    pages = {}
    for user, endpoint in (("siti", "taker01"), ("budi", "taker02")):
        add_user(ec112, user, "call_taker", endpoint=endpoint)
        taker(endpoint, ring_ms=300, talk_ms=20_000, max_calls=2)
        page = new_context().new_page()
        log_in(page, ec112, user)
        page.get_by_role("button", name="Masuk antrean").click()
        expect(page.locator("#my-state-label")).to_have_text("Tersedia")
        pages[endpoint] = page
    add_user(ec112, "rina", "supervisor")
    kpis_before = {k["period"]: k for k in ec112.get("/api/kpis")}
    scenario = tmp_path / "latihan.toml"
    scenario.write_text(SCENARIO)
    runner = subprocess.Popen(
        [sys.executable, "-m", "ec112", "drill", "run", str(scenario), "--sip-port", str(asterisk.sip_port),
         "--password", asterisk.config.endpoint_passwords["drill"]],
        env=ec112.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # Each ticket pops up on the console of the taker whose phone answered, with LATIHAN; she classifies it there.
    done: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + 60
    while len(done) < 3 and time.monotonic() < deadline:
        for t in ec112.get("/api/tickets"):
            if t["caller_number_raw"] in DONE and t["answered_by"] and t["number"] not in done:
                classification, category, _ = DONE[t["caller_number_raw"]]
                page = pages[t["answered_by"]]
                classify(page, t["number"], classification, category)
                if len(done) == 0:
                    screenshot(page, "drill-console-latihan")
                done[t["number"]] = t
        time.sleep(0.2)
    assert len(done) == 3, f"only {len(done)} drill calls were answered: {list(done)}"
    out, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0, out
    drill_id = int(out.split("drill ", 1)[1].split(":", 1)[0])

    for number, t in done.items():
        agencies = DONE[str(t["caller_number_raw"])][2]
        if agencies:
            revision = ec112.get(f"/api/tickets/{number}")["revision"]
            sent = httpx.post(f"{ec112.base_url}/api/tickets/{number}/dispatches", headers=ec112.auth_headers(),
                              json={"agencies": agencies, "revision": revision}, timeout=5)
            assert sent.status_code == 200, sent.text

    tickets = {t["number"]: t for t in ec112.get("/api/tickets") if t["number"] in done}
    assert all(t["exercise"] for t in tickets.values())
    kpis_after = {k["period"]: k for k in ec112.get("/api/kpis")}
    assert [(k["offered"], k["answered"]) for k in kpis_after.values()] == [
        (k["offered"], k["answered"]) for k in kpis_before.values()], "a drill never moves the real KPIs"

    report = ec112.get(f"/api/drills/{drill_id}/report")
    assert report["unanswered"] == 0
    by_caller = {c["caller"]: c for c in report["calls"]}
    for number, t in tickets.items():
        c = by_caller[t["caller_number_raw"]]
        classification, category, agencies = DONE[t["caller_number_raw"]]
        assert (c["ticket"], c["taker"]) == (number, t["answered_by"])
        answered = (datetime.fromisoformat(t["answered_at"]) - datetime.fromisoformat(t["created_at"]))
        assert c["answer_seconds"] == round(answered.total_seconds(), 1)
        assert (c["classification"], c["category"], c["dispatched"]) == (classification, category, agencies)
    assert [by_caller[n]["classification_ok"] for n in DONE] == [True, False, True]
    assert [by_caller[n]["dispatch_ok"] for n in DONE] == [True, True, True]
    assert by_caller["081255501001"]["dispatch_seconds"] is not None
    assert by_caller["081255501003"]["dispatch_seconds"] is None
    takers = {p["taker"]: p for p in report["participants"]}
    assert sum(p["calls"] for p in takers.values()) == 3
    for name, p in takers.items():
        mine = [by_caller[t["caller_number_raw"]] for t in tickets.values() if t["answered_by"] == name]
        assert p["classification_correct"] == sum(1 for c in mine if c["classification_ok"])

    # The report page, for the supervisor: the same figures, LATIHAN, and the ticket list marks them too.
    page = new_context().new_page()
    log_in(page, ec112, "rina", target="/tickets")
    for number in tickets:
        expect(page.locator(f'tr[data-ticket="{number}"] .latihan-tag')).to_have_text("LATIHAN")
    page.goto(f"{ec112.base_url}/drills/{drill_id}/report")
    expect(page.locator(".latihan-banner")).to_contain_text("LATIHAN")
    row = page.locator('#dr-calls tr[data-position="1"]')
    expect(row.locator('[data-field="classification_ok"]')).to_contain_text("tidak")
    expect(row.locator('[data-field="dispatch_ok"]')).to_contain_text("ya")
    for name, p in takers.items():
        expect(page.locator(f'#dr-participants tr[data-taker="{name}"] [data-field="calls"]')).to_have_text(
            str(p["calls"]))
    screenshot(page, "drill-report")
    page.goto(f"{ec112.base_url}/tickets/{next(iter(tickets))}")
    expect(page.locator(".latihan-banner")).to_contain_text("LATIHAN")

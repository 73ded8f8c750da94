"""The admin pages in real Chromium over the real `ec112 serve` (SQLite or EC112_TEST_DATABASE): a supervisor adds a
call taker and links taker05, the new account logs in and sees her console; a call taker gets the 403 page for every
admin page; the softphone page shows Linphone's QR code (an inline SVG) and reveals the SIP password on click, which
the audit log records (actor and endpoint, never the password)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from harness.daemon import Ec112Daemon
from playwright.sync_api import expect

from ec112.config.settings_file import write_endpoint_secrets

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e

PASSWORDS = {"spv07": "spv07-sandi-aman", "rina": "rina-sandi-taker", "wulan": "wulan-sandi-baru"}


@pytest.mark.ec112_not_started
def test_a_supervisor_adds_a_call_taker_and_provisions_her_softphone(
    ec112: Ec112Daemon, new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    sip_passwords = dict(ec112.lab.endpoint_passwords)  # the lab's real SIP accounts, as `ec112 lab run` writes them
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", sip_passwords)
    ec112.env["EC112_SOFTPHONES__ACCOUNTS_FILE"] = str(accounts)
    ec112.env["EC112_SOFTPHONES__SERVER"] = f"127.0.0.1:{ec112.lab.ports.sip}"
    ec112.start()
    add_user(ec112, "spv07", "supervisor", PASSWORDS["spv07"], name="Supervisor Tujuh")
    add_user(ec112, "rina", "call_taker", PASSWORDS["rina"], endpoint="taker02", name="Rina")
    base = ec112.base_url

    # The supervisor adds Wulan, a call taker on taker05.
    spv = new_context().new_page()
    browser_login(spv, base, "spv07", PASSWORDS["spv07"])
    spv.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Administrasi").click()
    expect(spv).to_have_url(f"{base}/admin/users")
    expect(spv.get_by_role("navigation", name="Administrasi").get_by_role("link", name="Instansi")).to_be_visible()
    spv.locator("#au-username").fill("wulan")
    spv.locator("#au-name").fill("Wulan Sari")
    expect(spv.locator("#au-role")).to_have_value("call_taker")
    spv.locator("#au-endpoint").fill("taker05")
    spv.locator("#au-password").fill(PASSWORDS["wulan"])
    spv.locator("#au-password2").fill(PASSWORDS["wulan"])
    spv.locator("#add-user button[type=submit]").click()
    expect(spv).to_have_url(f"{base}/admin/users/wulan?created=1")
    expect(spv.locator("#admin-done")).to_have_text("Akun dibuat.")
    expect(spv.locator("#account-endpoint")).to_have_text("taker05")
    screenshot(spv, "admin-user-created")

    # Wulan logs in and sees her console on taker05.
    wulan = new_context().new_page()
    browser_login(wulan, base, "wulan", PASSWORDS["wulan"], "/console")
    expect(wulan.locator("#my-state-title")).to_contain_text("taker05")
    expect(wulan.locator(".who-name")).to_have_text("Wulan Sari")

    # A call taker opens no admin page: the panel's 403 page each time, and no admin menu entry.
    taker_context = new_context()
    taker = taker_context.new_page()
    browser_login(taker, base, "rina", PASSWORDS["rina"])
    expect(taker.get_by_role("link", name="Administrasi")).to_have_count(0)
    for path in ("/admin/users", "/admin/users/wulan", "/admin/softphones", "/admin/softphones/taker05"):
        response = taker.goto(base + path)
        assert response is not None
        assert response.status == 403, path
        expect(taker.locator("h1")).to_have_text("Akses ditolak")
    assert [p for p in taker_context.problems if "pageerror" in p] == []

    # The softphone page: the account, the password hidden until "show", Linphone's QR code.
    spv.goto(f"{base}/admin/softphones/taker05")
    expect(spv.locator("#sp-server")).to_have_text(f"127.0.0.1:{ec112.lab.ports.sip}")
    expect(spv.locator("#sp-user")).to_have_text("taker05")
    expect(spv.locator("#sp-password")).not_to_contain_text(sip_passwords["taker05"])
    spv.locator("#sp-reveal button").click()
    expect(spv.locator("#sp-password-value")).to_have_text(sip_passwords["taker05"])
    spv.locator("#sp-make-qr button").click()
    expect(spv.locator("#sp-qr svg")).to_be_visible()
    screenshot(spv, "softphone-qr")
    url = spv.locator("#sp-qr-url").inner_text()
    provisioned = httpx.get(url, timeout=10)  # what Linphone does with the QR code's URL
    assert provisioned.status_code == 200
    assert f"<entry name=\"passwd\" overwrite=\"true\">{sip_passwords['taker05']}</entry>" in provisioned.text
    assert httpx.get(url, timeout=10).status_code == 404  # once

    audit = ec112.get("/api/audit?limit=50")
    mine = [(e["actor"], e["action"], e["target"]) for e in audit if e["actor"] == "spv07"]
    assert ("spv07", "user.add", "wulan") in mine
    assert ("spv07", "softphone.reveal", "taker05") in mine
    assert ("spv07", "softphone.provisioned", "taker05") in mine
    assert all(sip_passwords["taker05"] not in str(e["detail"]) for e in audit)

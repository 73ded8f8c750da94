"""The users admin pages over real HTTP (the real app, uvicorn, SQLite): who may open them (admins, supervisors for
call takers, 403 for everyone else), CSRF, the CLI's validation (same service), the endpoint checks against the
site's accounts file, a generated password shown once, disable/enable ending sessions, and the audit entries."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web_stack import WebStack, logged_in, start_stack

from ec112.cli import app as cli_app
from ec112.config.settings_file import write_endpoint_secrets
from ec112.config.site_settings import SoftphoneSettings

SITE = {f"taker{n:02d}": f"sip-secret-{n:02d}" for n in range(1, 18)} | {"spv01": "sip-secret-spv"}
NEW_TAKER = {"username": "rina", "display_name": "Rina Wati", "role": "call_taker", "language": "id",
             "sip_endpoint": "taker05", "password": "rina-sandi-123", "password2": "rina-sandi-123"}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", SITE)
    async for s in start_stack(tmp_path, softphones=SoftphoneSettings(server="10.0.0.5:5060", accounts_file=accounts)):
        yield s


def _text(html: str) -> str:
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


async def _audit(stack: WebStack) -> list[tuple[str, str, str | None]]:
    return [(e.actor, e.action, e.target) for e in await stack.audit.recent(50)]


async def test_a_call_taker_and_an_officer_get_403_on_every_admin_page_and_action(stack: WebStack) -> None:
    for name in ("taker01", "officer"):
        client, headers = await logged_in(stack, name)
        async with aclosing(client):
            home = await client.get("/")
            assert "/admin/users" not in home.text  # no menu entry either
            for path in ("/admin", "/admin/users", "/admin/users/taker02", "/admin/softphones",
                         "/admin/softphones/taker01"):
                page = await client.get(path)
                assert page.status_code == 403, path
                assert "Akses ditolak" in page.text  # the panel's own page, Indonesian first
            for path in ("/admin/users", "/admin/users/taker02/disable", "/admin/users/taker02/enable",
                         "/admin/users/taker02/password", "/admin/users/taker02/endpoint",
                         "/admin/softphones/taker01/reveal", "/admin/softphones/taker01/qr"):
                answer = await client.post(path, data={**NEW_TAKER, "sip_endpoint": "taker09"}, headers=headers)
                assert answer.status_code == 403, path
                assert "sip-secret" not in answer.text
    assert [u.username for u in await stack.users.list() if u.username == "rina"] == []
    assert not [a for a in await _audit(stack) if a[1].startswith(("user.", "softphone."))
                and a[0] != "cli"]


async def test_a_supervisor_adds_a_call_taker_who_logs_in_with_her_endpoint(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    async with aclosing(spv):
        page = await spv.get("/admin/users")
        assert page.status_code == 200
        assert 'href="/admin/agencies"' in page.text  # the shared admin menu
        assert '<option value="admin"' not in page.text  # a supervisor adds call takers only
        no_csrf = await spv.post("/admin/users", data=NEW_TAKER)
        assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "csrf_failed")
        added = await spv.post("/admin/users", data=NEW_TAKER, headers=headers)
        assert added.status_code == 303
        assert added.headers["location"] == "/admin/users/rina?created=1"
        shown = await spv.get(added.headers["location"])
        assert "Akun dibuat." in shown.text
        assert "taker05" in _text(shown.text)
    rina, _ = await logged_in(stack, "rina", "rina-sandi-123")
    async with aclosing(rina):
        console = await rina.get("/console")
        assert console.status_code == 200
        assert "taker05" in console.text
    assert ("spv", "user.add", "rina") in await _audit(stack)


@pytest.mark.parametrize(("change", "status", "reason"), [
    ({"username": "R"}, 422, "invalid username"),
    ({"sip_endpoint": ""}, 422, "needs her SIP endpoint"),
    ({"sip_endpoint": "taker99"}, 422, "is not one of this site's SIP endpoints"),
    ({"sip_endpoint": "taker01"}, 409, "linked to the active account 'taker01'"),
    ({"password2": "something-else"}, 422, "the two passwords differ"),
    ({"password": "pendek", "password2": "pendek"}, 422, "password too short"),
    ({"username": "taker02", "sip_endpoint": "taker07"}, 409, "is taken"),
    ({"role": "admin"}, 403, "Akses ditolak"),
    ({"role": "pilot"}, 422, "unknown role"),
])
async def test_bad_accounts_are_refused_with_the_clis_reasons(stack: WebStack, change: dict[str, str], status: int,
                                                             reason: str) -> None:
    spv, headers = await logged_in(stack, "spv")
    async with aclosing(spv):
        answer = await spv.post("/admin/users", data={**NEW_TAKER, **change}, headers=headers)
        assert answer.status_code == status
        assert reason in _text(answer.text)
        if status != 403:  # the form comes back with what was typed, never the password
            assert 'value="Rina Wati"' in answer.text
            assert NEW_TAKER["password"] not in answer.text
    assert "rina" not in {u.username for u in await stack.users.list()}


async def test_a_generated_password_is_shown_once_and_works(stack: WebStack) -> None:
    admin, headers = await logged_in(stack, "admin")
    async with aclosing(admin):
        form = {**NEW_TAKER, "username": "joko", "role": "supervisor", "sip_endpoint": "spv01", "password": "",
                "password2": ""}
        made = await admin.post("/admin/users", data=form, headers=headers)
        assert made.status_code == 201
        found = re.search(r'<code id="new-password-value">([^<]+)</code>', made.text)
        assert found is not None
        password = found[1]
        assert password not in (await admin.get("/admin/users/joko")).text
        reset = await admin.post("/admin/users/joko/password", data={}, headers=headers)
        second = re.search(r'<code id="new-password-value">([^<]+)</code>', reset.text)
        assert second is not None
        assert second[1] != password
    joko, _ = await logged_in(stack, "joko", second[1])
    await joko.aclose()
    audit = await stack.audit.recent(50)
    changes = [(e.actor, e.action) for e in audit if e.target == "joko" and e.action.startswith("user.")]
    assert changes == [("admin", "user.passwd"), ("admin", "user.add")]
    assert all(password not in str(e.detail) and second[1] not in str(e.detail) for e in audit)


async def test_disable_ends_her_sessions_and_a_supervisor_only_touches_call_takers(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    taker, _ = await logged_in(stack, "taker02")
    async with aclosing(spv), aclosing(taker):
        assert (await taker.get("/console")).status_code == 200
        done = await spv.post("/admin/users/taker02/disable", headers=headers)
        assert done.status_code == 200
        assert "Akun dinonaktifkan" in done.text
        cut = await taker.get("/console")
        assert (cut.status_code, cut.headers["location"].startswith("/login")) == (303, True)
        assert (await spv.post("/admin/users/taker02/enable", headers=headers)).status_code == 200
        for target in ("admin", "spv"):  # not her call takers
            refused = await spv.post(f"/admin/users/{target}/disable", headers=headers)
            assert refused.status_code == 403
            assert (await spv.post(f"/admin/users/{target}/password", headers=headers)).status_code == 403
        assert not {u.username: u.disabled for u in await stack.users.list()}["admin"]
    admin, admin_headers = await logged_in(stack, "admin")
    async with aclosing(admin):
        itself = await admin.post("/admin/users/admin/disable", headers=admin_headers)
        assert itself.status_code == 422
        assert "cannot disable your own account" in itself.text
    assert {("spv", "user.disable", "taker02"), ("spv", "user.enable", "taker02")} <= set(await _audit(stack))


async def test_linking_checks_the_site_and_the_other_accounts(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    async with aclosing(spv):
        moved = await spv.post("/admin/users/taker02/endpoint", data={"sip_endpoint": "taker05"}, headers=headers)
        assert moved.status_code == 200
        assert "Endpoint SIP disimpan." in moved.text
        taken = await spv.post("/admin/users/taker01/endpoint", data={"sip_endpoint": "taker05"}, headers=headers)
        assert (taken.status_code, "linked to the active account 'taker02'" in _text(taken.text)) == (409, True)
        unknown = await spv.post("/admin/users/taker01/endpoint", data={"sip_endpoint": "desk9"}, headers=headers)
        assert unknown.status_code == 422
        unlink = await spv.post("/admin/users/taker01/endpoint", data={"sip_endpoint": ""}, headers=headers)
        assert (unlink.status_code, "needs her SIP endpoint" in _text(unlink.text)) == (422, True)
        # taker02 disabled: taker05 is free again; enabling her while another has it is refused
        assert (await spv.post("/admin/users/taker02/disable", headers=headers)).status_code == 200
        relinked = await spv.post("/admin/users/taker01/endpoint", data={"sip_endpoint": "taker05"}, headers=headers)
        assert relinked.status_code == 200
        back = await spv.post("/admin/users/taker02/enable", headers=headers)
        assert (back.status_code, "linked to the active account 'taker01'" in _text(back.text)) == (409, True)
    endpoints = {u.username: u.sip_endpoint for u in await stack.users.list()}
    assert (endpoints["taker01"], endpoints["taker02"]) == ("taker05", "taker05")
    audit = await stack.audit.recent(50)
    linked = [e for e in audit if e.action == "user.endpoint"]
    assert [(e.actor, e.target, e.detail["sip_endpoint"]) for e in linked] == [
        ("spv", "taker01", "taker05"), ("spv", "taker02", "taker05")]


def test_the_cli_links_with_the_same_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", SITE)
    for key, value in {"EC112_LAB_MODE": "1", "EC112_VAR_DIR": str(tmp_path / "var"), "EC112_CONFIG": "",
                       "EC112_SOFTPHONES__ACCOUNTS_FILE": str(accounts)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EC112_DATABASE__URL", raising=False)

    def ec112(*args: str, input: str | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(cli_app, list(args), input=input)
        return result.exit_code, " ".join((result.stdout + result.stderr).split())  # rich wraps at 80 columns

    assert ec112("user", "add", "sari", "--role", "call_taker", "--endpoint", "taker99", "--password-stdin",
                 input="sari-sandi-123\n") == (5, "ec112 user: 'taker99' is not one of this site's SIP endpoints "
                                                  f"({', '.join(sorted(SITE))})")
    assert ec112("user", "add", "sari", "--role", "call_taker", "--endpoint", "taker03", "--password-stdin",
                 input="sari-sandi-123\n")[0] == 0
    code, out = ec112("user", "add", "tono", "--role", "call_taker", "--endpoint", "taker03", "--password-stdin",
                      input="tono-sandi-123\n")
    assert (code, "linked to the active account 'sari'" in out) == (5, True)
    code, out = ec112("user", "link", "sari", "taker04")
    assert (code, "taker04" in out) == (0, True)
    code, out = ec112("user", "link", "sari", "--unlink")
    assert (code, "needs her SIP endpoint" in out) == (5, True)
    code, out = ec112("user", "role", "sari", "supervisor")
    assert (code, "peran supervisor" in out) == (0, True)
    code, out = ec112("user", "role", "sari", "pilot")
    assert code == 2  # typer refuses an unknown role


async def test_an_admin_changes_a_role_checked_as_a_new_account_would_be(stack: WebStack) -> None:
    admin, headers = await logged_in(stack, "admin")
    spv, spv_headers = await logged_in(stack, "spv")
    async with aclosing(admin), aclosing(spv):
        assert 'id="change-role"' not in (await spv.get("/admin/users/taker02")).text  # call takers only: no choice
        assert (await spv.post("/admin/users/taker02/role", data={"role": "admin"},
                               headers=spv_headers)).status_code == 403
        promoted = await admin.post("/admin/users/taker02/role", data={"role": "supervisor"}, headers=headers)
        assert promoted.status_code == 200
        assert "Peran disimpan." in promoted.text
        no_phone = await admin.post("/admin/users/officer/role", data={"role": "call_taker"}, headers=headers)
        assert (no_phone.status_code, "needs her SIP endpoint" in _text(no_phone.text)) == (422, True)
        field = await admin.post("/admin/users/officer/role", data={"role": "responder", "agency": "damkar"},
                                 headers=headers)
        assert field.status_code == 200
        itself = await admin.post("/admin/users/admin/role", data={"role": "supervisor"}, headers=headers)
        assert (itself.status_code, "cannot change your own role" in _text(itself.text)) == (422, True)
    roles = {u.username: (u.role.value, u.agency) for u in await stack.users.list()}
    assert roles["taker02"] == ("supervisor", None)
    assert roles["officer"] == ("responder", "damkar")
    assert roles["admin"] == ("admin", None)
    assert ("admin", "user.role", "taker02") in await _audit(stack)

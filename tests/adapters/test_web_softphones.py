"""Softphone provisioning over real HTTP (the real app, uvicorn, SQLite): the accounts of the site's endpoints, the
password hidden until an audited, CSRF-checked "show", Linphone's provisioning XML behind a one-time, short-lived
link (the QR code's URL), and a clear page when ``[softphones]`` has no accounts file or an unreadable one."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from web_stack import WebStack, logged_in, start_stack

from ec112.config.settings_file import write_endpoint_secrets
from ec112.config.site_settings import SoftphoneSettings

SITE = {"taker01": "sip-secret-01", "taker02": "sip-secret-02", "taker05": "sip-secret-05", "spv01": "sip-secret-spv"}
NS = {"lp": "http://www.linphone.org/xsds/lpconfig.xsd"}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


async def _stack(tmp_path: Path, settings: SoftphoneSettings) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path, softphones=settings):
        yield s


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", SITE)
    async for s in _stack(tmp_path, SoftphoneSettings(server="192.168.1.10:5060", transport="udp",
                                                      accounts_file=accounts)):
        yield s


def _entries(xml: bytes, section: str) -> dict[str, str]:
    root = etree.fromstring(xml)
    found = root.find(f"lp:section[@name='{section}']", NS)
    assert found is not None, section
    return {e.get("name"): e.text or "" for e in found.findall("lp:entry", NS)}


async def test_the_account_page_hides_the_password_until_an_audited_show(stack: WebStack) -> None:
    spv, headers = await logged_in(stack, "spv")
    async with aclosing(spv):
        listing = await spv.get("/admin/softphones")
        assert listing.status_code == 200
        listed = _text(listing.text)
        assert "taker01 Taker01 Lab (taker01)" in listed  # the endpoint and the account linked to it
        assert "taker05 –" in listed
        assert "sip-secret" not in listing.text
        page = await spv.get("/admin/softphones/taker05")
        shown = _text(page.text)
        assert "Server 192.168.1.10:5060" in shown
        assert "Transport UDP" in shown
        assert "Pengguna taker05" in shown
        assert "sip-secret-05" not in page.text
        assert "Linphone" in shown  # the guide for two softphones
        assert "MicroSIP" in shown
        assert (await spv.post("/admin/softphones/taker05/reveal")).status_code == 403  # no CSRF token
        revealed = await spv.post("/admin/softphones/taker05/reveal", headers=headers)
        assert revealed.status_code == 200
        assert '<code id="sp-password-value">sip-secret-05</code>' in revealed.text
        assert (await spv.get("/admin/softphones/nosuch")).status_code == 404
        assert (await spv.post("/admin/softphones/nosuch/reveal", headers=headers)).status_code == 404
    entries = [e for e in await stack.audit.recent(20) if e.action == "softphone.reveal"]
    assert [(e.actor, e.target) for e in entries] == [("spv", "taker05")]
    assert all("sip-secret" not in str(e.detail) for e in await stack.audit.recent(50))


async def test_the_qr_code_links_to_linphones_provisioning_file_once(stack: WebStack) -> None:
    admin, headers = await logged_in(stack, "admin")
    async with aclosing(admin):
        page = await admin.post("/admin/softphones/taker01/qr", headers=headers)
        assert page.status_code == 200
        assert re.search(r'<div id="sp-qr"><svg [^>]*class="sp-qr-code"', page.text)
        url = re.search(r'<code id="sp-qr-url">([^<]+)</code>', page.text)
        assert url is not None
        assert url[1].startswith(stack.base_url + "/provision/")
    async with httpx.AsyncClient(timeout=10) as phone:  # no session, no cookie: the token is the credential
        fetched = await phone.get(url[1])
        assert fetched.status_code == 200
        assert fetched.headers["content-type"].startswith("application/xml")
        assert _entries(fetched.content, "proxy_0") == {
            "reg_identity": "<sip:taker01@192.168.1.10>",
            "reg_proxy": "<sip:192.168.1.10:5060;transport=udp>", "reg_route": "<sip:192.168.1.10:5060;transport=udp>",
            "reg_expires": "3600", "reg_sendregister": "1", "publish": "0"}
        assert _entries(fetched.content, "auth_info_0") == {
            "username": "taker01", "userid": "taker01", "passwd": "sip-secret-01", "domain": "192.168.1.10"}
        assert _entries(fetched.content, "sip") == {"default_proxy": "0"}
        again = await phone.get(url[1])
        assert again.status_code == 404  # one fetch only
        assert "used or expired" in again.text
        assert (await phone.get(stack.base_url + "/provision/made-up-token")).status_code == 404
    audit = [(e.actor, e.action, e.target) for e in await stack.audit.recent(20)]
    assert ("admin", "softphone.link", "taker01") in audit
    assert audit.count(("admin", "softphone.provisioned", "taker01")) == 1
    assert all("sip-secret" not in str(e.detail) for e in await stack.audit.recent(50))


async def test_a_link_expires(stack: WebStack) -> None:
    assert stack.softphones is not None
    stack.softphones.link_ttl = timedelta(milliseconds=300)
    spv, headers = await logged_in(stack, "spv")
    async with aclosing(spv):
        page = await spv.post("/admin/softphones/taker05/qr", headers=headers)
        url = re.search(r'<code id="sp-qr-url">([^<]+)</code>', page.text)
        assert url is not None
        await asyncio.sleep(0.5)
        late = await spv.get(url[1])
        assert (late.status_code, "used or expired" in late.text) == (404, True)
    assert not [e for e in await stack.audit.recent(20) if e.action == "softphone.provisioned"]


async def test_tls_with_srtp_is_in_the_file(tmp_path: Path) -> None:
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", SITE)
    async for stack in _stack(tmp_path, SoftphoneSettings(server="pbx.ppu.example:5061", transport="tls", srtp=True,
                                                          accounts_file=accounts)):
        assert stack.softphones is not None
        token, _ = await stack.softphones.issue_link("admin", "taker05")
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as phone:
            xml = (await phone.get(f"/provision/{token}")).content
        assert _entries(xml, "proxy_0")["reg_proxy"] == "<sips:pbx.ppu.example:5061;transport=tls>"
        assert _entries(xml, "sip") == {"default_proxy": "0", "media_encryption": "srtp",
                                        "media_encryption_mandatory": "1"}


@pytest.mark.parametrize("problem", ["unset", "missing", "broken"])
async def test_without_a_readable_accounts_file_the_page_says_so(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "sip-accounts.toml"
    if problem == "broken":
        path.write_text('[endpoints]\ntaker01 = "unterminated\n')
    settings = SoftphoneSettings(accounts_file=None if problem == "unset" else path)
    async for stack in _stack(tmp_path, settings):
        spv, headers = await logged_in(stack, "spv")
        async with aclosing(spv):
            page = await spv.get("/admin/softphones")
            assert page.status_code == 200
            said = _text(page.text)
            if problem == "unset":
                assert "Berkas akun SIP belum diatur ([softphones] accounts_file" in said
            else:
                assert f"Berkas akun SIP {path} tidak dapat dibaca" in said
                assert "unterminated" not in page.text  # the file's content never reaches the page
            assert "Server SIP untuk softphone belum diatur" in said
            assert (await spv.get("/admin/softphones/taker01")).status_code == 404
            assert (await spv.post("/admin/softphones/taker01/qr", headers=headers)).status_code == 404
            # the users pages still work, with no site check (no endpoint list known)
            made = await spv.post("/admin/users", headers=headers, data={
                "username": "rina", "role": "call_taker", "sip_endpoint": "taker42", "password": "rina-sandi-123",
                "password2": "rina-sandi-123"})
            assert made.status_code == 303


async def test_no_server_set_refuses_the_qr_with_the_reason(tmp_path: Path) -> None:
    accounts = write_endpoint_secrets(tmp_path / "sip-accounts.toml", SITE)
    async for stack in _stack(tmp_path, SoftphoneSettings(accounts_file=accounts)):
        admin, headers = await logged_in(stack, "admin")
        async with aclosing(admin):
            page = await admin.post("/admin/softphones/taker01/qr", headers=headers)
            assert page.status_code == 503
            assert "[softphones] server is not set" in _text(page.text)
            assert "<svg" not in page.text

"""The agencies admin pages over real HTTP (issue 17): a supervisor edits an agency, the next dispatch uses its new
acknowledgement time; a mistake shows `ec112 agencies check`'s own words next to the field and changes nothing;
every change is audited; a call taker gets 403; the TOML goes out and back in (page and CLI), a bad upload changes
nothing; a form without its CSRF token is refused."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner
from web_stack import CLI_TOKEN, WebStack, logged_in, start_stack

from ec112.cli import app
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, answered


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):  # the agencies as the daemon starts them: the shipped file, version 1
        yield s


def _form(page: str) -> dict[str, list[str]]:
    """The agency form's fields as the browser would post them (inputs and checked boxes)."""
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or ('type="checkbox"' in tag and " checked" not in tag) or 'type="file"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields.setdefault(name[1], []).append(html.unescape(value[1]) if value else "")
    return fields


async def _post_agency(client: httpx.AsyncClient, code: str, **changes: str | list[str]) -> httpx.Response:
    fields = _form((await client.get(f"/admin/agencies/{code}")).text)
    for key, value in changes.items():
        fields[key] = value if isinstance(value, list) else [value]
    return await client.post(f"/admin/agencies/{code}", data=fields)


def _cli(stack: WebStack, *args: str) -> tuple[int, str, str]:
    env = {"EC112_API_URL": stack.base_url, "EC112_API_TOKEN": CLI_TOKEN, "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


async def _emergency(stack: WebStack, n: int, taker: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """A call answered by taker01, classified darurat/banjir (BPBD has authority) through the API."""
    repo = SqlTicketRepository(stack.engine)
    arrived = datetime.now(UTC) - timedelta(seconds=30)
    ticket, _ = await repo.open(NewCall(f"a{n}", f"a{n}", f"PJSIP/trunk-{n}", "+6281377778888", "+6281377778888",
                                        None, arrived, IntakeChannel.AGI, None))
    await repo.save(answered(ticket, "taker01", arrived + timedelta(seconds=3)))
    number = ticket.number("112")
    saved = await taker.post(f"/api/tickets/{number}/classification", headers=headers,
                             json={"classification": "darurat", "category": "banjir", "address": "Jl. Melati"})
    assert saved.status_code == 200, saved.text
    return number


async def _ack_seconds_of_next_dispatch(stack: WebStack, n: int, agency: str) -> float:
    taker, headers = await logged_in(stack, "taker01")
    number = await _emergency(stack, n, taker, headers)
    sent = await taker.post(f"/api/tickets/{number}/dispatches", headers=headers, json={"agencies": [agency]})
    assert sent.status_code == 200, sent.text
    await taker.aclose()
    made = sent.json()[0]
    return (datetime.fromisoformat(made["ack_deadline"])
            - datetime.fromisoformat(made["dispatched_at"])).total_seconds()


async def test_a_new_ack_time_is_used_by_the_next_dispatch_and_audited(stack: WebStack) -> None:
    assert stack.agency_admin is not None
    assert await _ack_seconds_of_next_dispatch(stack, 1, "bpbd") == 60  # the centre's default
    client, _headers = await logged_in(stack, "spv")
    listing = await client.get("/admin/agencies")
    assert listing.status_code == 200
    assert 'href="/admin/agencies/bpbd"' in listing.text
    saved = await _post_agency(client, "bpbd", ack_timeout_seconds="17")
    assert saved.status_code == 303, saved.text
    page = await client.get(saved.headers["location"])
    assert _form(page.text)["ack_timeout_seconds"] == ["17"]
    assert 'id="ad-saved"' in page.text
    assert await _ack_seconds_of_next_dispatch(stack, 2, "bpbd") == 17  # no restart
    entries = [e for e in await stack.audit.recent(50) if e.action == "agencies.edit"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.target) == ("spv", "bpbd")
    assert entry.detail["agencies_changed"] == {"bpbd": ["ack_timeout_seconds"]}
    assert entry.detail["ack_timeout_seconds"] == {"bpbd": [None, 17]}
    assert entry.detail["version"] == stack.agency_admin.version.id == 2
    await client.aclose()


async def test_mistakes_show_the_cli_checks_words_next_to_the_fields_and_change_nothing(
        stack: WebStack, tmp_path: Path) -> None:
    assert stack.agency_admin is not None
    before = stack.agency_admin.version
    client, _headers = await logged_in(stack, "spv")
    fields = _form((await client.get("/admin/agencies/dinkes")).text)
    refused = await _post_agency(client, "dinkes", ack_timeout_seconds="0",
                                 post_lat=["95", *fields["post_lat"][1:]])
    assert refused.status_code == 422
    # The same document through `ec112 agencies check FILE`: its lines are what the page shows, word for word.
    document = before.text.replace('code = "dinkes"', 'code = "dinkes"\nack_timeout_seconds = 0', 1)
    document = document.replace(f"lat = {fields['post_lat'][0]}", "lat = 95.0", 1)  # the page writes a float
    path = tmp_path / "bad.toml"
    path.write_text(document, encoding="utf-8")
    code, _out, err = _check(path)
    assert code == 1
    expected = [line.removeprefix("  - ") for line in err.splitlines() if line.startswith("  - ")]
    assert len(expected) == 2, err
    near_ack = re.findall(r'<p class="ad-error" id="ad-error-ack_timeout_seconds-\d+">([^<]*)</p>', refused.text)
    near_posts = re.findall(r'<p class="ad-error" id="ad-error-post-\d+">([^<]*)</p>', refused.text)
    assert [html.unescape(m) for m in near_ack + near_posts] == expected
    assert "ack_timeout_seconds: Input should be greater than or equal to 1 (got 0)" in expected[0]
    assert _form(refused.text)["ack_timeout_seconds"] == ["0"]  # what she typed stays on screen
    assert stack.agency_admin.version == before  # nothing stored, nothing swapped
    assert not [e for e in await stack.audit.recent(50) if e.action.startswith("agencies.edit")]
    # A webhook URL without its secret in the settings: refused as the start would refuse it.
    no_secret = await _post_agency(client, "dinkes", webhook_url="https://psc119.example/hook")
    assert no_secret.status_code == 422
    assert "has a webhook_url but no secret" in html.unescape(no_secret.text)
    assert 'id="ad-error-webhook_url-1"' in no_secret.text
    assert stack.agency_admin.version == before
    await client.aclose()


def _check(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["agencies", "check", str(path)])
    return result.exit_code, result.stdout, result.stderr


async def test_a_call_taker_gets_403_and_a_form_without_csrf_is_refused(stack: WebStack) -> None:
    taker, taker_headers = await logged_in(stack, "taker01")
    for path in ("/admin/agencies", "/admin/agencies/bpbd", "/admin/agencies/agencies.toml"):
        assert (await taker.get(path)).status_code == 403, path
    refused = await taker.post("/admin/agencies/bpbd", headers=taker_headers, data={"ack_timeout_seconds": "5"})
    assert refused.status_code == 403
    assert (await taker.get("/api/agencies/document")).status_code == 403
    spv, _headers = await logged_in(stack, "spv")
    fields = _form((await spv.get("/admin/agencies/bpbd")).text)
    fields.pop("csrf_token")
    fields["ack_timeout_seconds"] = ["5"]
    no_token = await spv.post("/admin/agencies/bpbd", data=fields)
    assert no_token.status_code == 403
    assert stack.agency_admin is not None
    assert stack.agency_admin.version.id == 1
    await taker.aclose()
    await spv.aclose()


async def test_toml_download_upload_and_the_cli_round_trip(stack: WebStack, tmp_path: Path) -> None:
    assert stack.agency_admin is not None
    spv, _headers = await logged_in(stack, "spv")
    download = await spv.get("/admin/agencies/agencies.toml")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    original = download.text
    assert original == stack.agency_admin.version.text
    # A bad upload: every mistake listed, nothing changes.
    bad = original.replace('code = "damkar"', 'code = "damkar"\ncategories_typo = []', 1)
    token = _form((await spv.get("/admin/agencies")).text)["csrf_token"][0]
    refused = await spv.post("/admin/agencies/import.toml", data={"csrf_token": token},
                             files={"file": ("bad.toml", bad.encode(), "application/toml")})
    assert refused.status_code == 422
    assert "unknown key &#39;categories_typo&#39;" in refused.text
    assert stack.agency_admin.version.id == 1
    # A good upload: version 2 in force, audited as an import.
    good = original.replace('short_name = "BPBD"', 'short_name = "BPBD"\nack_timeout_seconds = 33', 1)
    accepted = await spv.post("/admin/agencies/import.toml", data={"csrf_token": token},
                              files={"file": ("ppu.toml", good.encode(), "application/toml")})
    assert accepted.status_code == 303, accepted.text
    assert stack.agency_admin.version.id == 2
    assert await _ack_seconds_of_next_dispatch(stack, 3, "bpbd") == 33
    imported = [e for e in await stack.audit.recent(50) if e.action == "agencies.import"]
    assert [(e.actor, e.target, e.detail["ack_timeout_seconds"]) for e in imported] == [
        ("spv", "ppu.toml", {"bpbd": [None, 33]})]
    # The CLI: export gives the version in force; import of a bad file exits 1 and changes nothing; of the
    # original file, back to the original.
    code, out, _err = await asyncio.to_thread(_cli, stack, "agencies", "export")
    assert (code, out) == (0, good)
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    code, _out, err = await asyncio.to_thread(_cli, stack, "agencies", "import", str(tmp_path / "bad.toml"))
    assert code == 1
    assert "unknown key 'categories_typo'" in err
    assert stack.agency_admin.version.id == 2
    (tmp_path / "original.toml").write_text(original, encoding="utf-8")
    code, out, _err = await asyncio.to_thread(_cli, stack, "agencies", "import", str(tmp_path / "original.toml"))
    assert code == 0, _err
    assert "version 3 in force" in out
    assert stack.agency_admin.version.text == original
    assert await _ack_seconds_of_next_dispatch(stack, 4, "bpbd") == 60
    await spv.aclose()

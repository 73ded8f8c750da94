"""GET /api/agencies over real HTTP: every staff role reads the shipped regency's agencies with their
categories, posts and responders, never a webhook URL; /api/categories says who has authority; and
`ec112 agencies [--json]` shows the same through the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner
from web_stack import CLI_TOKEN, WebStack, logged_in, start_stack

from ec112.cli import agencies, app
from ec112.config.agencies_file import load_agencies

SECRET_HOOK = "https://wa-gateway.example/hook?token=rahasia-damkar"
EXTRA = """
[[responder]]
username = "responder"
agency = "damkar"
name = "Budi Santoso"
phone = "0812 3333 4444"
"""


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    shipped = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    # The shipped file, as a centre would edit it: Damkar gets a webhook, its own ack time and a responder.
    edited = shipped.replace('short_name = "Damkar"', 'short_name = "Damkar"\nack_timeout_seconds = 45', 1)
    edited = edited.replace('webhook_url = ""', f'webhook_url = "{SECRET_HOOK}"', 1) + EXTRA
    path = tmp_path / "agencies.toml"
    path.write_text(edited, encoding="utf-8")
    async for s in start_stack(tmp_path, agencies=load_agencies(path, default_ack_timeout_seconds=90)):
        yield s


async def _client(stack: WebStack, username: str) -> httpx.AsyncClient:
    return (await logged_in(stack, username))[0]


async def test_every_staff_role_reads_the_agencies_without_webhook_urls(stack: WebStack) -> None:
    bodies: list[Any] = []
    for username in ("admin", "spv", "taker01", "officer", "responder"):
        client = await _client(stack, username)
        response = await client.get("/api/agencies")
        assert response.status_code == 200, (username, response.text)
        assert "rahasia" not in response.text
        assert "webhook_url" not in response.text
        bodies.append(response.json())
        await client.aclose()
    assert all(body == bodies[0] for body in bodies)
    listing = bodies[0]
    assert [a["code"] for a in listing] == ["damkar", "bpbd", "dpupr", "dishub", "dinkes", "rsud", "dlh",
                                            "dp3ap2kb", "dinsos", "satpolpp", "distan", "pdam"]
    assert listing[0] == {
        "code": "damkar", "name": "Dinas Pemadam Kebakaran dan Penyelamatan", "short_name": "Damkar",
        "categories": [
            {"code": "kebakaran", "label_id": "Kebakaran", "label_en": "Fire"},
            {"code": "pohon_tumbang", "label_id": "Pohon tumbang", "label_en": "Fallen tree"},
            {"code": "hewan_liar", "label_id": "Hewan liar/berbisa", "label_en": "Wild or venomous animal"},
        ],
        "posts": [{"name": "Markas Komando Damkar", "lat": -1.25625, "lon": 116.76838}],  # demo point
        "phone": None, "alternate_contact": {  # the shipped DEMO contact: no channel, so only shown
            "name": "Kepala Bidang Operasi Damkar (DEMO)", "phone": "0000 0000 0001", "webhook_configured": False,
            "sms_configured": False},
        "ack_timeout_seconds": 45, "ack_timeout_default": False, "webhook_configured": True,
        "responders": [{"username": "responder", "name": "Budi Santoso", "phone": "0812 3333 4444"}],
    }
    pdam = listing[-1]
    assert (pdam["short_name"], [c["code"] for c in pdam["categories"]]) == ("Perumda Air Minum", ["air_bersih"])
    assert (pdam["ack_timeout_seconds"], pdam["ack_timeout_default"], pdam["webhook_configured"]) == (90, True, False)
    assert pdam["responders"] == []

    anonymous = await httpx.AsyncClient(base_url=stack.base_url).get("/api/agencies")
    assert anonymous.status_code == 401


async def test_categories_say_which_agencies_have_authority_in_order(stack: WebStack) -> None:
    client = await _client(stack, "taker01")
    categories = {c["code"]: c for c in (await client.get("/api/categories")).json()}
    await client.aclose()
    assert categories["kebakaran"]["agencies"] == ["damkar", "bpbd"]
    assert categories["pohon_tumbang"]["agencies"] == ["dlh", "bpbd", "damkar"]
    assert categories["kecelakaan_lalu_lintas"]["agencies"] == ["dishub", "dinkes", "rsud"]
    assert categories["hama_penyakit_ternak"] == {
        "code": "hama_penyakit_ternak", "label_id": "Serangan hama tanaman / penyakit hewan ternak",
        "label_en": "Crop pest outbreak or livestock disease", "agencies": ["distan"]}
    assert categories["lainnya"]["agencies"] == []


def _ec112(stack: WebStack, *args: str) -> tuple[int, str, str]:
    env = {"EC112_API_URL": stack.base_url, "EC112_API_TOKEN": CLI_TOKEN, "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


async def test_the_cli_lists_what_the_api_says(stack: WebStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agencies.out, "width", 200)  # a supervisor's terminal, not CliRunner's 80 columns
    # The CLI is synchronous: it runs in a thread while this loop serves its requests.
    code, out, err = await asyncio.to_thread(_ec112, stack, "agencies", "--json")
    assert code == 0, err
    client = await _client(stack, "admin")
    assert json.loads(out) == (await client.get("/api/agencies")).json()
    await client.aclose()

    code, out, err = await asyncio.to_thread(_ec112, stack, "agencies")
    assert code == 0, err
    assert "Instansi / agencies" in out
    for seen in ("Damkar (damkar)", "Dinas Pemadam", "Kebakaran", "Markas Komando Damkar",
                 "Budi Santoso (responder)", "0812 3333 4444", "45 s", "90 s (default)", "webhook: ya / yes",
                 "Perumda Air Minum"):
        assert seen in out, seen
    assert "rahasia" not in out

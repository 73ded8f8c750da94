"""The CLI's tables in an 80-column terminal: what is read out is whole, the rest gives way (rich, no daemon)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console, RenderableType

from ec112.cli.incidents import incidents_table
from ec112.cli.live import agents_table, calls_table, queues_table
from ec112.cli.tickets import tickets_table

TICKET = {"number": "112-261203-00001", "caller_number": "+6281234567890", "caller_name": "Warga Demo Nama Panjang",
          "status": "closed", "outcome": "answered", "answered_by": "taker01",
          "created_at": "2026-12-03T14:44:40+00:00", "wait_seconds": 3.2,
          "location": {"lat": -1.1178021, "lon": 116.523176, "radius_m": 10}}


def _text(renderable: RenderableType, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width, text
    return text


@pytest.mark.parametrize("width", [80, 100, 200])
def test_tickets_keep_number_caller_status_and_outcome_whole(width: int) -> None:
    rows = [TICKET, {**TICKET, "number": "112-261203-00002", "status": "queued", "outcome": None}]
    text = _text(tickets_table(rows, width), width)
    for value in ("112-261203-00001", "112-261203-00002", "+6281234567890", "closed", "answered", "queued"):
        assert value in text, text
    assert "11…" not in text
    if width == 80:  # the least useful columns gave way, and the caption says which
        assert "tidak tampil / not shown: Tunggu (s), Nama, Lokasi (--json)" in text
    if width == 200:  # room for all
        assert "not shown" not in text
        assert "-1.11780, 116.52318 ±10 m" in text


def test_narrower_than_the_essentials_stacks_each_ticket() -> None:
    text = _text(tickets_table([TICKET], 40), 40)
    assert "Nomor: 112-261203-00001" in text
    assert "Hasil: answered" in text
    assert "Lokasi: -1.11780, 116.52318 ±10 m" in text


def test_live_tables_fit_80_columns() -> None:
    agents: list[dict[str, Any]] = [
        {"endpoint": "taker01", "state": "unreachable", "since": "2026-12-03T14:00:00", "paused_reason": None,
         "caller_number": None, "calls_today": 3},
        {"endpoint": "taker02", "state": "paused", "since": "2026-12-03T14:00:00", "paused_reason": "istirahat",
         "caller_number": "+6281234567890", "calls_today": 12}]
    text = _text(agents_table(agents, 80), 80)
    assert "telepon tak terjangkau / phone unreachable" in text
    queues = [{"name": "112", "members": [f"PJSIP/taker{n:02d}" for n in range(1, 18)],
               "waiting": [{"position": 1, "caller_number": "+6281234567890", "joined_at": "2026-12-03T14:00:00"}]}]
    assert "+6281234567890" in _text(queues_table(queues, 80), 80)
    calls = [{"caller_number": "+6281234567890", "state": "talking", "taker": "taker01",
              "started_at": "2026-12-03T14:00:00", "linkedid": "ec112lab-1796309079.4"}]
    assert "+6281234567890" in _text(calls_table(calls, 80), 80)


def test_incidents_keep_their_text_and_end() -> None:
    incident = {"id": 1, "text_id": "Kebakaran di pasar Penajam, petugas sudah menuju lokasi",
                "text_en": "Fire at Penajam market, crews are on their way", "active": True, "ended_by": None,
                "area": {"kind": "circle", "lat": -1.1, "lon": 116.5, "radius_m": 800, "name": None},
                "ends_at": "2026-12-03T16:00:00+08:00", "calls": 3, "heard": 2, "render": "ok"}
    text = _text(incidents_table([incident], 80), 80)
    assert "2026-12-03T16:00:00+08:00" in text
    assert "menuju lokasi" in " ".join(text.split())

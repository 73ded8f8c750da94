"""`ec112 kpis` (and the other live views): a table, `--json`, or `--watch` to refresh it in place."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table

from ec112.cli.api_client import api_url, call
from ec112.cli.fit_table import Col, fit_table

out = Console()
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
WatchOption = Annotated[bool, typer.Option("--watch", "-w", help="Refresh the table every second (Ctrl-C)")]


def show(path: str, render: Callable[[Any], RenderableType], api: str | None, as_json: bool, watch: bool) -> None:
    base = api_url(api)
    if as_json:
        typer.echo(json.dumps(call("GET", base, path), indent=2))
        return
    if not watch:
        out.print(render(call("GET", base, path)))
        return
    with Live(render(call("GET", base, path)), console=out, refresh_per_second=2) as live:
        try:
            while True:
                time.sleep(1.0)
                live.update(render(call("GET", base, path)))
        except KeyboardInterrupt:
            pass


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def kpi_table(periods: list[dict[str, Any]]) -> Table:
    table = Table(title="KPI 112")
    table.add_column("")
    for p in periods:
        table.add_column({"today": "Hari ini / today", "shift": "Shift ini / this shift"}.get(p["period"], p["period"]))
    rows = [
        ("Masuk / offered", "offered", None),
        ("Dijawab / answered", "answered", None),
        ("Ditinggal / abandoned", "abandoned", None),
        ("Tutup saat intake / hung up in intake", "hung_up_in_intake", None),
        ("Berlangsung / in progress", "in_progress", None),
        ("Rata-rata jawab / avg answer", "avg_answer_seconds", " s"),
        ("Dijawab ≤10 s", "pct_answered_within_10s", " %"),
        ("Dijawab ≤20 s", "pct_answered_within_20s", " %"),
        ("10 % terlama / longest 10 %", "avg_longest_10pct_answer_seconds", " s"),
        ("Tingkat ditinggal / abandon rate", "abandon_rate_pct", " %"),
        ("Tunggu terlama kini / longest wait now", "longest_current_wait_seconds", " s"),
    ]
    for label, key, unit in rows:
        table.add_row(label, *[str(p[key]) if unit is None else _num(p[key], unit) for p in periods])
    return table


STATE_ID = {
    "logged_out": "keluar / logged out",
    "available": "siap / available",
    "ringing": "berdering / ringing",
    "on_call": "bicara / on call",
    "wrap_up": "wrap-up",
    "paused": "jeda / paused",
    "unreachable": "telepon tak terjangkau / phone unreachable",
}


def _since(value: str | None) -> str:
    return value[11:19] if value else "-"


def agents_table(agents: list[dict[str, Any]], width: int | None = None) -> RenderableType:
    cols = (Col("Petugas", essential=True), Col("Status", essential=True), Col("Sejak / since"),
            Col("Penelepon"), Col("Alasan jeda", fold=True), Col("Panggilan hari ini"))
    rows = [[a["endpoint"], STATE_ID.get(a["state"], a["state"]), _since(a.get("since")), a.get("caller_number") or "-",
             a.get("paused_reason") or "-", str(a.get("calls_today", 0))] for a in agents]
    return fit_table("Petugas / call takers", cols, rows, width or out.width)


def queues_table(queues: list[dict[str, Any]], width: int | None = None) -> RenderableType:
    cols = (Col("Antrean", essential=True), Col("Posisi", essential=True), Col("Penelepon", essential=True),
            Col("Menunggu sejak / waiting since"), Col("Anggota / members", fold=True))
    rows: list[list[str]] = []
    for q in queues:
        members = ", ".join(q.get("members", [])) or "-"
        if not q["waiting"]:
            rows.append([q["name"], "-", "(kosong / empty)", "-", members])
        for w in q["waiting"]:
            rows.append([q["name"], str(w["position"]), w.get("caller_number") or "-", _since(w["joined_at"]), members])
    return fit_table("Antrean / queues", cols, rows, width or out.width)


def calls_table(calls: list[dict[str, Any]], width: int | None = None) -> RenderableType:
    cols = (Col("Penelepon", essential=True), Col("Status", essential=True), Col("Petugas"),
            Col("Mulai / started"), Col("Linkedid"))
    rows = [[c.get("caller_number") or "-", c["state"], c.get("taker") or "-", _since(c["started_at"]), c["linkedid"]]
            for c in calls]
    return fit_table("Panggilan aktif / active calls", cols, rows, width or out.width)


def register(app: typer.Typer) -> None:
    @app.command()
    def queues(api: ApiOption = None, as_json: JsonOption = False, watch: WatchOption = False) -> None:
        """Antrean dan penelepon menunggu / queues and waiting callers."""
        show("/api/queues", queues_table, api, as_json, watch)

    @app.command()
    def agents(api: ApiOption = None, as_json: JsonOption = False, watch: WatchOption = False) -> None:
        """Status petugas / call-taker states."""
        show("/api/agents", agents_table, api, as_json, watch)

    @app.command()
    def calls(api: ApiOption = None, as_json: JsonOption = False, watch: WatchOption = False) -> None:
        """Panggilan 112 yang sedang berlangsung / 112 calls in progress."""
        show("/api/calls", calls_table, api, as_json, watch)

    @app.command()
    def kpis(api: ApiOption = None, as_json: JsonOption = False, watch: WatchOption = False) -> None:
        """KPI hari ini dan shift ini / KPIs for today and the current shift."""
        show("/api/kpis", kpi_table, api, as_json, watch)

"""`ec112 tickets list|show|export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table

from ec112.cli.api_client import api_url, call
from ec112.cli.fit_table import Col, fit_table

app = typer.Typer(help="Tiket panggilan darurat / emergency call tickets.", no_args_is_help=True)
out = Console()
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _time(value: str | None) -> str:
    return value[11:19] if value else "-"


def _where(ticket: dict[str, Any]) -> str:
    loc = ticket.get("location")
    if not loc:
        return "-"
    radius = f" ±{loc['radius_m']:.0f} m" if loc.get("radius_m") is not None else ""
    return f"{loc['lat']:.5f}, {loc['lon']:.5f}{radius}"


@app.command("list")
def list_tickets(
    api: ApiOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Tiket terbaru / the newest tickets."""
    tickets = call("GET", api_url(api), "/api/tickets", params={"limit": limit})
    if as_json:
        typer.echo(json.dumps(tickets, indent=2))
        return
    out.print(tickets_table(tickets, out.width))


# The ticket number and the caller's number are read out over the phone, the status and outcome say what happened:
# never cut nor dropped. The others give way in an 80-column terminal, the least useful first (from the end).
TICKET_COLUMNS = (Col("Nomor", essential=True), Col("Penelepon", essential=True), Col("Status", essential=True),
                  Col("Hasil", essential=True), Col("Petugas"), Col("Tiba"), Col("Tunggu (s)"),
                  Col("Nama", fold=True), Col("Lokasi", fold=True))


def tickets_table(tickets: list[dict[str, Any]], width: int) -> RenderableType:
    rows = []
    for t in tickets:
        wait = "-" if t.get("wait_seconds") is None else f"{t['wait_seconds']:.1f}"
        rows.append([t["number"], t.get("caller_number") or "-", t["status"], t.get("outcome") or "…",
                     t.get("answered_by") or "-", _time(t.get("created_at")), wait, t.get("caller_name") or "-",
                     _where(t)])
    return fit_table("Tiket 112", TICKET_COLUMNS, rows, width)


@app.command("show")
def show_ticket(
    ref: Annotated[str, typer.Argument(help="Ticket id or number (112-261127-00042)")],
    api: ApiOption = None,
    as_json: JsonOption = False,
) -> None:
    """Satu tiket / one ticket."""
    ticket = call("GET", api_url(api), f"/api/tickets/{ref}")
    if as_json:
        typer.echo(json.dumps(ticket, indent=2))
        return
    table = Table(title=f"Tiket {ticket['number']}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for key, value in ticket.items():
        table.add_row(key, _where(ticket) if key == "location" else ("-" if value is None else str(value)))
    out.print(table)


def _area(jurisdiction: dict[str, Any] | None) -> str:
    """Kecamatan · desa, or where else the point is (the console's words)."""
    if not jurisdiction:
        return "-"
    if jurisdiction.get("kabupaten") is None:
        return "di laut / di luar wilayah yang dikenal (at sea / outside every known area)"
    if not jurisdiction.get("inside_regency"):
        return f"di luar kabupaten (outside the regency): {jurisdiction['kabupaten']['name']}"
    parts = [f"Kecamatan {jurisdiction['kecamatan']['name']}"] if jurisdiction.get("kecamatan") else []
    if jurisdiction.get("desa"):
        parts.append(f"Desa/Kelurahan {jurisdiction['desa']['name']}")
    border = ", ".join(a["name"] for a in jurisdiction.get("border_with") or [])
    return " · ".join(parts) + (f" (perbatasan dengan {border})" if border else "")


@app.command("locations")
def ticket_locations(
    ref: Annotated[str, typer.Argument(help="Ticket number (112-261127-00042)")],
    api: ApiOption = None,
    as_json: JsonOption = False,
) -> None:
    """Semua lokasi tiket dan wilayahnya / every location of a ticket, its kecamatan/desa and nearest posts."""
    seen = call("GET", api_url(api), f"/api/tickets/{ref}/locations")
    if as_json:
        typer.echo(json.dumps(seen, indent=2, ensure_ascii=False))
        return
    # soft_wrap: a line a script may grep is never broken at the terminal's width
    out.print(f"Tiket {seen['ticket']} · wilayah / area: {_area(seen.get('jurisdiction'))}", soft_wrap=True)
    table = Table(title="Sumber lokasi / location sources")
    for column in ("Terbaik", "Sumber", "Koordinat", "Metode", "Diukur", "Keterangan"):
        table.add_column(column)
    for loc in seen["reports"]:
        table.add_row("✔" if loc.get("best") else "", loc["source"], _where({"location": loc}),
                      loc.get("method") or "-", _time(loc.get("observed_at")), loc.get("label") or "")
    for item in seen["unlocated"]:
        table.add_row("", item["kind"], "-", "-", _time(item.get("received_at")),
                      f"{item['status']}{': ' + item['reason'] if item.get('reason') else ''} · {item['text']}")
    out.print(table)
    posts = (seen.get("jurisdiction") or {}).get("nearest_posts") or []
    for post in posts:
        out.print(f"  pos terdekat / nearest post: {post['agency_name']} · {post['post']} · "
                  f"{post['distance_m'] / 1000:.1f} km", soft_wrap=True)


@app.command("export")
def export_ticket(
    ref: Annotated[str, typer.Argument(help="Ticket id or number (112-261127-00042)")],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the JSON to this file (default: stdout)",
                                                  dir_okay=False)] = None,
    api: ApiOption = None,
) -> None:
    """Ekspor tiket (EIDO, JSON) / export a ticket as an EIDO-style JSON document."""
    document = call("GET", api_url(api), f"/api/tickets/{ref}/export")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    typer.echo(f"tiket {ref} diekspor ke / exported to {out_file}", err=True)

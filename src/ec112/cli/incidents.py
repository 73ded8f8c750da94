"""`ec112 incidents` (the known incidents callers hear), `ec112 incidents post …`, `ec112 incidents end ID`.

Through the running daemon's JSON API (docs/known-incidents.md), as a supervisor would use the page.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from ec112.cli.api_client import api_url, call
from ec112.cli.fit_table import Col, fit_table

app = typer.Typer(help="Kejadian diketahui / known incidents announced to callers.", invoke_without_command=True)
out = Console()
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _area(a: dict[str, Any]) -> str:
    if a["kind"] == "circle":
        return f"{a['lat']:.5f}, {a['lon']:.5f} r={a['radius_m']:.0f} m"
    return str(a["name"] or "seluruh kabupaten / whole regency")


def incidents_table(incidents: list[dict[str, Any]], width: int | None = None) -> RenderableType:
    cols = (Col("#", essential=True), Col("Teks / text", essential=True, fold=True),
            Col("Sampai / until", essential=True), Col("Wilayah / area", fold=True), Col("Panggilan / calls"),
            Col("Mendengar / heard"), Col("Rekaman / recording"))
    rows: list[list[str | Text]] = []
    for i in incidents:
        state = "aktif / active" if i["active"] else f"berakhir / ended {i['ended_by'] or ''}".strip()
        rows.append([str(i["id"]), Text(i["text_id"] + (f"\n{i['text_en']}" if i["text_en"] else "")),
                     Text(f"{i['ends_at']}\n{state}"), Text(_area(i["area"])), str(i["calls"]), str(i["heard"]),
                     i["render"]])
    return fit_table("Kejadian diketahui / known incidents", cols, rows, width or out.width, show_lines=True)


@app.callback()
def incidents(ctx: typer.Context, api: ApiOption = None, as_json: JsonOption = False) -> None:
    """Kejadian diketahui terbaru / the latest known incidents (active ones first)."""
    if ctx.invoked_subcommand is not None:
        return
    listing = call("GET", api_url(api), "/api/incidents")
    if as_json:
        typer.echo(json.dumps(listing, indent=2))
        return
    active = {i["id"] for i in listing["active"]}
    out.print(incidents_table(listing["active"] + [i for i in listing["recent"] if i["id"] not in active]))


@app.command("post")
def post(text_id: Annotated[str, typer.Argument(help="Teks bahasa Indonesia / the Indonesian text")],
         en: Annotated[str | None, typer.Option("--en", help="English text")] = None,
         minutes: Annotated[int, typer.Option("--minutes", help="Berakhir setelah / ends after (minutes)")] = 60,
         kecamatan: Annotated[str | None, typer.Option("--kecamatan", help="kecamatan code, e.g. 64.09.01")] = None,
         desa: Annotated[str | None, typer.Option("--desa", help="desa/kelurahan code")] = None,
         circle: Annotated[str | None, typer.Option("--circle", help="LAT,LON,RADIUS_M")] = None,
         ticket: Annotated[str | None, typer.Option("--ticket", help="the incident's own ticket")] = None,
         api: ApiOption = None, as_json: JsonOption = False) -> None:
    """Umumkan kejadian diketahui / post a known incident (supervisors)."""
    area: dict[str, Any] = {"kind": "regency"}
    if kecamatan or desa:
        area = {"kind": "kecamatan" if kecamatan else "desa", "code": kecamatan or desa}
    elif circle:
        try:
            lat, lon, radius = (float(v) for v in circle.split(","))
        except ValueError:
            raise typer.BadParameter("--circle LAT,LON,RADIUS_M") from None
        area = {"kind": "circle", "lat": lat, "lon": lon, "radius_m": radius}
    body = {"text_id": text_id, "text_en": en, "minutes": minutes, "area": area, "ticket": ticket}
    posted = call("POST", api_url(api), "/api/incidents", json=body)
    if as_json:
        typer.echo(json.dumps(posted, indent=2))
    else:
        out.print(incidents_table([posted]))


@app.command("end")
def end(incident_id: int, api: ApiOption = None) -> None:
    """Akhiri sekarang / end a known incident now (supervisors)."""
    ended = call("POST", api_url(api), f"/api/incidents/{incident_id}/end")
    out.print(f"Kejadian #{ended['id']} diakhiri / ended: {ended['calls']} panggilan / calls, "
              f"{ended['heard']} mendengarnya / heard it", markup=False)

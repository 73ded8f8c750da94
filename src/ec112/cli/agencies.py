"""`ec112 agencies [--json]` (what the running daemon uses) and `ec112 agencies check [FILE]` (offline).

``check`` exits 0 when the file can be used, 1 when it has mistakes (each one listed on stderr), 78 when
the settings that name the file are themselves invalid (as every command that reads them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ec112.cli.api_client import api_url, call
from ec112.cli.fit_table import Col, fit_table

EXIT_BAD_FILE = 1
app = typer.Typer(help="Instansi dan kategori daruratnya / agencies and their emergency categories.",
                  invoke_without_command=True)
out = Console()
err = Console(stderr=True)
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (env EC112_CONFIG)")]
FileArgument = Annotated[Path | None, typer.Argument(
    help="Agencies file; default: the one the settings name ([callcenter] agencies_file), else the built-in one")]


def _lines(values: list[str]) -> Text:
    return Text("\n".join(values) or "-")  # Text: a label with [brackets] is not rich markup


def _alternate(contact: dict[str, Any] | None) -> list[str]:
    """Who is told at level 2 and how (or that nobody is: the supervisor must call them)."""
    if not contact:
        return []
    channels = [name for name, key in (("webhook", "webhook_configured"), ("SMS", "sms_configured")) if contact[key]]
    how = " + ".join(channels) if channels else "tanpa saluran: hanya ditampilkan / no channel: only shown"
    return [f"cadangan / alternate: {contact['name']}" + (f" {contact['phone']}" if contact["phone"] else ""),
            f"  ({how})"]


def agencies_table(agencies: list[dict[str, Any]], width: int | None = None) -> RenderableType:
    # Who the agency is, how to phone it (numbers whole) and its acknowledgement time stay; categories, posts and
    # responders give way in a narrow terminal (`ec112 agencies --json`, `ec112 agencies categories`).
    cols = (Col("Instansi / agency", essential=True, fold=True), Col("Telepon / phone", essential=True, fold=True,
            min_width=16), Col("Konfirmasi / ack", essential=True, fold=True), Col("Kategori / categories", fold=True),
            Col("Pos / posts", fold=True), Col("Petugas lapangan / responders", fold=True))
    rows: list[list[str | Text]] = []
    for a in agencies:
        posts = [p["name"] + (f" ({p['lat']:.5f}, {p['lon']:.5f})" if p["lat"] is not None else "")
                 for p in a["posts"]]
        responders = [f"{r['name']} ({r['username']})" + (f"\n  {r['phone']}" if r["phone"] else "")
                      for r in a["responders"]]
        phones = [a["phone"] or "-", *_alternate(a["alternate_contact"])]
        ack = f"{a['ack_timeout_seconds']} s" + (" (default)" if a["ack_timeout_default"] else "")
        ack += "\nwebhook: " + ("ya / yes" if a["webhook_configured"] else "tidak / no")
        rows.append([_lines([f"{a['short_name']} ({a['code']})", a["name"]]), _lines(phones), Text(ack),
                     _lines([c["label_id"] for c in a["categories"]]), _lines(posts), _lines(responders)])
    return fit_table("Instansi / agencies", cols, rows, width or out.width, show_lines=True)


@app.callback()
def agencies(ctx: typer.Context, api: ApiOption = None, as_json: JsonOption = False) -> None:
    """Instansi, kategori, pos dan petugasnya / agencies with their categories, posts and responders."""
    if ctx.invoked_subcommand is not None:
        return
    listing = call("GET", api_url(api), "/api/agencies")
    if as_json:
        typer.echo(json.dumps(listing, indent=2))
        return
    out.print(agencies_table(listing))


@app.command("check")
def check(file: FileArgument = None, config: ConfigOption = None) -> None:
    """Periksa berkas instansi tanpa daemon / check an agencies file offline (exit 0 ok, 1 mistakes)."""
    from ec112.config.agencies_file import AgenciesFileError, alternate_warnings, load_agencies

    default_ack = 60
    if file is None:
        from ec112.cli.users import load

        settings = load(config)  # exit 78 when the settings themselves are invalid
        file, default_ack = settings.callcenter.agencies_file, settings.callcenter.ack_timeout_seconds
    try:
        loaded = load_agencies(file, default_ack_timeout_seconds=default_ack)
    except AgenciesFileError as exc:
        err.print("[red]Berkas instansi tidak dapat dipakai / the agencies file cannot be used:[/red]")
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_FILE) from exc
    directory, categories = loaded.directory, loaded.categories
    table = Table(title=f"Kategori → instansi (urutan usulan) / category → agencies (proposal order): "
                        f"{file or 'built-in'}")
    table.add_column("Kategori / category")
    table.add_column("Instansi / agencies")
    for c in categories.all():
        holders = [a.short_name for a in directory.with_authority(c.code)]
        table.add_row(Text(f"{c.label_id} ({c.code})"),
                      Text(", ".join(holders) or "- (dipilih petugas / picked by the call taker)"))
    out.print(table)
    for warning in alternate_warnings(directory.agencies):
        err.print(f"PERINGATAN / WARNING: {warning}", markup=False)
    out.print(f"OK: {len(directory.agencies)} instansi, {len(categories.all())} kategori, "
              f"{len(directory.responders)} petugas lapangan / {len(directory.agencies)} agencies, "
              f"{len(categories.all())} categories, {len(directory.responders)} responders", markup=False)


@app.command("export")
def export(out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout")] = None,
           api: ApiOption = None) -> None:
    """Unduh dokumen instansi yang berlaku / the agencies document in force, as TOML (from the running daemon)."""
    from ec112.cli.api_client import call_text

    text = call_text("GET", api_url(api), "/api/agencies/document")
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    err.print(f"{out_file}: {len(text.encode())} bytes", markup=False)


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="Agencies file (TOML) to put in force")],
            api: ApiOption = None) -> None:
    """Pakai berkas instansi tanpa mulai ulang / put an agencies file in force in the running daemon.

    Checked exactly as `ec112 agencies check`; on a mistake nothing changes (exit 1, every mistake listed)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        err.print(f"[red]cannot read {file}:[/red] {exc.strerror or exc}")
        raise typer.Exit(EXIT_BAD_FILE) from exc
    answer = call("PUT", api_url(api), "/api/agencies/document", content=data, exit_on_invalid=EXIT_BAD_FILE,
                  headers={"Content-Type": "application/toml", "X-Ec112-Filename": file.name[:128]})
    for warning in answer.get("warnings", []):
        err.print(f"PERINGATAN / WARNING: {warning}", markup=False)
    out.print(f"OK: versi {answer['version']} berlaku / version {answer['version']} in force", markup=False)

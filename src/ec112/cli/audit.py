"""`ec112 audit verify|list|rotate-key`: check the audit log's chain, MACs and anchors, read its newest entries
(database direct), add a new MAC key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from ec112.cli.fit_table import Col, fit_table
from ec112.cli.users import ConfigOption, load
from ec112.config.exit_codes import EX_CONFIG, EXIT_TAMPERED
from ec112.config.settings import Settings
from ec112.domain.audit import canonical_detail

if TYPE_CHECKING:  # the database stack is imported when a command runs, not at every `ec112 …` start
    from ec112.services.audit import AuditService

T = TypeVar("T")
app = typer.Typer(help="Log audit / audit log.", no_args_is_help=True)
out = Console()
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


async def _with_audit(settings: Settings, work: Callable[[AuditService], Awaitable[T]]) -> T:
    """Run ``work`` on the configured database's audit log (works whether the daemon runs or not)."""
    from ec112.wiring import KeyFileError, open_stores

    try:
        async with open_stores(settings) as stores:
            return await work(stores.audit)
    except KeyFileError as exc:
        typer.echo(f"kunci audit tidak dapat dipakai / audit key unusable: {exc}", err=True)
        raise typer.Exit(EX_CONFIG) from exc


@app.command()
def verify(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Periksa rantai hash, MAC dan jangkar / verify the chain, MACs and anchors: exit 0 intact, 8 when an entry
    was changed or removed, the database is another one, or the anchor file was edited."""
    from ec112.audit_wiring import anchor_file, read_anchors

    settings = load(config)
    try:
        anchors = read_anchors(anchor_file(settings))
    except (OSError, ValueError) as exc:
        typer.echo(f"LOG AUDIT RUSAK / AUDIT LOG TAMPERED: anchor file unreadable: {exc}", err=True)
        raise typer.Exit(EXIT_TAMPERED) from exc
    check = asyncio.run(_with_audit(settings, lambda audit: audit.verify(anchors)))
    if as_json:
        typer.echo(json.dumps({"ok": check.ok, "checked": check.checked, "bad_id": check.bad_id,
                               "reason": check.reason, "unsigned": check.unsigned, "anchors": check.anchors,
                               "head_id": check.head_id}))
    elif check.ok:
        typer.echo(f"log audit utuh / audit log intact: {check.checked} entries, {check.anchors} anchors")
        if check.unsigned:
            typer.echo(f"  {check.unsigned} entri pertama tanpa MAC (sebelum kunci) / first entries written "
                       "before MACs: their hashes only are checked")
        if not anchors:
            typer.echo(f"  belum ada jangkar / no anchors yet in {anchor_file(settings)}: a deleted tail or "
                       "another database cannot be detected until the daemon has run")
    else:
        typer.echo(f"LOG AUDIT RUSAK / AUDIT LOG TAMPERED at entry {check.bad_id}: {check.reason} "
                   f"({check.checked} entries intact before it)", err=True)
    if not check.ok:
        raise typer.Exit(EXIT_TAMPERED)


@app.command("list")
def list_entries(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Entri terbaru / the newest entries (UTC)."""
    entries = asyncio.run(_with_audit(load(config), lambda audit: audit.recent(limit)))
    if as_json:
        typer.echo(json.dumps([
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
             "detail": e.detail, "hash": e.hash}
            for e in entries
        ], indent=2, ensure_ascii=False))
        return
    cols = (Col("#", essential=True), Col("Waktu / at", essential=True), Col("Pelaku / actor", essential=True),
            Col("Aksi / action", essential=True), Col("Sasaran / target"), Col("Rincian / detail", fold=True))
    rows = [[str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.target or "-",
             canonical_detail(e.detail)] for e in entries]
    out.print(fit_table("Log audit / audit log (UTC)", cols, rows, out.width))


@app.command("rotate-key")
def rotate_key(config: ConfigOption = None) -> None:
    """Tambah kunci MAC baru / add a new MAC key: it signs from now on, the older keys still verify. Restart the
    daemon to sign with it."""
    from ec112.audit_wiring import key_file
    from ec112.audit_wiring import rotate_key as add_key
    from ec112.domain.audit_seal import KeyFileError

    path = key_file(load(config))
    try:
        key_id = add_key(path)
    except KeyFileError as exc:
        typer.echo(f"kunci audit tidak dapat dipakai / audit key unusable: {exc}", err=True)
        raise typer.Exit(EX_CONFIG) from exc
    typer.echo(f"kunci baru / new key {key_id} in {path}: restart ec112 to sign with it")

"""`ec112 audit verify|list`: check the audit log's hash chain, read its newest entries (database direct)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ec112.cli.users import ConfigOption, load
from ec112.config.exit_codes import EXIT_TAMPERED
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
    from ec112.wiring import open_stores

    async with open_stores(settings) as stores:
        return await work(stores.audit)


@app.command()
def verify(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Periksa rantai hash / verify the hash chain: exit 0 intact, 8 when a row was changed or removed."""
    check = asyncio.run(_with_audit(load(config), lambda audit: audit.verify()))
    if as_json:
        typer.echo(json.dumps({"ok": check.ok, "checked": check.checked, "bad_id": check.bad_id,
                               "reason": check.reason}))
    elif check.ok:
        typer.echo(f"log audit utuh / audit log intact: {check.checked} entries")
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
    table = Table(title="Log audit / audit log (UTC)")
    for column in ("#", "Waktu / at", "Pelaku / actor", "Aksi / action", "Sasaran / target", "Rincian / detail"):
        table.add_column(column)
    for e in entries:
        table.add_row(str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.target or "-",
                      canonical_detail(e.detail))
    out.print(table)

"""`ec112 backup` and `ec112 restore FILE`: the database to one file, and back into an EMPTY database.

Database direct, like `ec112 user|audit` (a server admin's tools, whether the daemon runs or not). A restore
appends a ``restore`` anchor to the audit anchor file, naming the restored head: ``ec112 audit verify`` then
takes what was anchored after the backup for history, not for a deleted tail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ec112.cli.users import ConfigOption, load
from ec112.config.exit_codes import EX_CONFIG, EXIT_REFUSED
from ec112.config.settings import Settings

NOT_COPIED = ("rekaman suara TIDAK termasuk (hanya indeksnya, di database) / the recording files are NOT in it "
              "(only their index, which is in the database): back up {} separately")


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_command(config: ConfigOption = None) -> None:
        """Cadangkan database / back up the database (SQLite: online backup; PostgreSQL: pg_dump) to one file in
        [backup] directory (default <var_dir>/backups)."""
        from ec112.db.backup import BackupError, backup

        settings = load(config)
        directory = settings.backup.directory or settings.var_dir / "backups"
        try:
            path = asyncio.run(backup(settings.database_url, directory, datetime.now(UTC)))
        except (BackupError, OSError) as exc:
            typer.echo(f"cadangan gagal / backup failed: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"cadangan / backup: {path} ({path.stat().st_size} bytes)")
        typer.echo(NOT_COPIED.format(_recordings(settings)))

    @app.command("restore")
    def restore_command(
        file: Annotated[Path, typer.Argument(help="a file written by `ec112 backup`", exists=True, dir_okay=False)],
        config: ConfigOption = None,
    ) -> None:
        """Pulihkan ke database KOSONG / restore into an EMPTY database (refused otherwise), then anchor the
        restored audit head."""
        from ec112.db.backup import BackupError, restore

        settings = load(config)
        try:
            asyncio.run(restore(settings.database_url, file))
        except BackupError as exc:
            typer.echo(f"pemulihan ditolak / restore refused: {exc}", err=True)
            raise typer.Exit(EXIT_REFUSED) from exc
        head = asyncio.run(_anchor(settings))
        typer.echo(f"dipulihkan / restored: {file} — audit head {head}, anchored as a restore")
        typer.echo(NOT_COPIED.format(_recordings(settings)))


async def _anchor(settings: Settings) -> int:
    from ec112.audit_wiring import anchor_restore
    from ec112.wiring import KeyFileError, open_stores

    try:
        async with open_stores(settings) as stores:  # also migrates a backup of an older version to head
            return (await anchor_restore(settings, stores.audit)).head_id
    except KeyFileError as exc:
        typer.echo(f"kunci audit tidak dapat dipakai / audit key unusable: {exc}", err=True)
        raise typer.Exit(EX_CONFIG) from exc


def _recordings(settings: Settings) -> Path:
    return settings.recording.directory or settings.var_dir / "recordings"

"""`ec112 boundaries check [FILE]`: check a boundary file offline before pointing ``[location] boundaries_file``
at it (exit 0 usable, 1 mistakes — each listed on stderr —, 78 invalid settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

EXIT_BAD_FILE = 1
app = typer.Typer(help="Batas wilayah / administrative boundaries (desa, kecamatan, kabupaten).")
out = Console()
err = Console(stderr=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (env EC112_CONFIG)")]
FileArgument = Annotated[Path | None, typer.Argument(
    help="GeoJSON boundary file; default: the one the settings name ([location] boundaries_file), else the built-in")]
RegencyOption = Annotated[str | None, typer.Option(
    "--regency", help="Kemendagri code of the regency (default: [location] regency_code)")]


@app.command("check")
def check(file: FileArgument = None, regency: RegencyOption = None, config: ConfigOption = None) -> None:
    """Periksa berkas batas wilayah tanpa daemon / check a boundary file offline (exit 0 ok, 1 mistakes)."""
    from ec112.cli.users import load
    from ec112.config.boundaries_file import BoundariesFileError, load_boundaries, load_landmarks

    settings = load(config)  # exit 78 when the settings themselves are invalid
    location = settings.location
    code = regency or location.regency_code
    try:
        boundaries, _geojson, source = load_boundaries(file or location.boundaries_file, code)
        landmarks = load_landmarks(location.landmarks_file) if file is None else []
    except BoundariesFileError as exc:
        err.print("[red]Berkas batas wilayah tidak dapat dipakai / the boundary file cannot be used:[/red]")
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_FILE) from exc
    levels = [b.level.value for b in boundaries]
    counts = ", ".join(f"{levels.count(x)} {x}" for x in ("kabupaten", "kecamatan", "desa"))
    out.print(f"OK: {source}: {counts}; regency {code}; {len(landmarks)} landmarks", markup=False)

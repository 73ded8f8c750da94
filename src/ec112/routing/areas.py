"""The regency's areas as geometry (pure, shapely): what the boundary file and the landmarks file become.

``ec112.config.boundaries_file`` reads and checks the files and builds these; ``jurisdiction`` (where is this
point) and ``gazetteer`` (which place has this name) work on them; ``Geography`` bundles the two for the
composition root, with the checked GeoJSON the web map shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ec112.domain.geography import Area, AreaLevel

# The level above each level (a desa's parent is a kecamatan, a kecamatan's a kabupaten).
PARENT_LEVEL = {AreaLevel.KECAMATAN: AreaLevel.KABUPATEN, AreaLevel.DESA: AreaLevel.KECAMATAN}


@dataclass(frozen=True, slots=True)
class Boundary:
    """One feature of the boundary file. ``geometry`` is a valid shapely (Multi)Polygon in lon/lat (WGS84)."""

    code: str
    name: str
    level: AreaLevel
    parent: str | None
    kind: str  # "kabupaten" | "kota" | "kecamatan" | "desa" | "kelurahan"
    label: tuple[float, float]  # (lon, lat): where the name is placed; the gazetteer's point
    geometry: Any = field(compare=False, repr=False)

    @property
    def area(self) -> Area:
        return Area(self.code, self.name, self.level)


@dataclass(frozen=True, slots=True)
class Landmark:
    """A named place of the landmarks file: a port, an airport, a market, a hospital…"""

    name: str
    lat: float
    lon: float
    radius_m: float
    aliases: tuple[str, ...] = ()


def display_name(b: Boundary) -> str:
    """The name as a call taker reads it: "Kelurahan Gunung Seteleng", "Kecamatan Sepaku"."""
    if b.level is AreaLevel.KABUPATEN:
        lower = b.name.lower()
        if lower.startswith(("kabupaten ", "kota ")):
            return b.name
        return f"{'Kota' if b.kind == 'kota' else 'Kabupaten'} {b.name}"
    prefix = {"kecamatan": "Kecamatan", "kelurahan": "Kelurahan"}.get(b.kind, "Desa")
    return f"{prefix} {b.name}"


def short_name(b: Boundary) -> str:
    """For a context line: "Kec. Penajam", "Kab. Penajam Paser Utara", "Kota Balikpapan"."""
    if b.level is AreaLevel.KECAMATAN:
        return f"Kec. {b.name}"
    if b.level is AreaLevel.KABUPATEN:
        full = display_name(b)
        return "Kab. " + full.removeprefix("Kabupaten ") if full.startswith("Kabupaten ") else full
    return display_name(b)

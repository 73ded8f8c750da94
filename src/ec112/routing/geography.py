"""The regency's geography as the composition root hands it out: where a point is, places by name, and the
checked GeoJSON the web map draws (pure; built by ``ec112.config.boundaries_file.load_geography``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ec112.domain.agencies import Agency
from ec112.routing.areas import Boundary, Landmark
from ec112.routing.gazetteer import Gazetteer
from ec112.routing.jurisdiction import JurisdictionMap


@dataclass(frozen=True, slots=True)
class Geography:
    jurisdiction: JurisdictionMap
    gazetteer: Gazetteer
    boundaries: tuple[Boundary, ...]
    geojson: bytes  # the boundary file as served to the map: compact, properties code/name/level/parent/kind/label
    source: str  # the file it came from, for logs and `ec112 boundaries check`


def build_geography(boundaries: Sequence[Boundary], landmarks: Sequence[Landmark], regency_code: str,
                    agencies: Sequence[Agency], geojson: bytes, source: str) -> Geography:
    jurisdiction = JurisdictionMap(boundaries, regency_code, agencies)
    gazetteer = Gazetteer(boundaries, regency_code, landmarks, locate=jurisdiction.locate)
    return Geography(jurisdiction, gazetteer, tuple(boundaries), geojson, source)

"""The JSON shape of a location, one place for the API (``web/locations_api.py``) and the live stream's
``location`` event (``web/live_feed.py``), so the console's map reads one format (docs/location.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ec112.domain.geography import Area, Jurisdiction
from ec112.domain.location import Location, LocationReport, UnlocatedReport


def location_json(loc: Location | None, *, id: int | None = None, received_at: datetime | None = None,
                  best: bool = False) -> dict[str, Any] | None:
    """LOC of docs/location.md; ``id``/``received_at`` are null for a location that is no stored report."""
    if loc is None:
        return None
    return {"id": id, "lat": loc.lat, "lon": loc.lon, "radius_m": loc.radius_m, "source": loc.source.value,
            "method": loc.method, "confidence": loc.confidence, "shape": loc.shape, "label": loc.label,
            "observed_at": loc.observed_at.isoformat(),
            "received_at": received_at.isoformat() if received_at else None, "best": best}


def report_json(report: LocationReport, *, best: bool = False) -> dict[str, Any]:
    return location_json(report.location, id=report.id, received_at=report.received_at, best=best) or {}


def best_json(best: Location | None, reports: Sequence[LocationReport]) -> dict[str, Any] | None:
    """The best location as LOC, with the id of the report it is (the first equal one, newest first)."""
    found = next((r for r in reports if r.location == best), None)
    if found is not None:
        return report_json(found, best=True)
    return location_json(best, best=True)


def unlocated_json(report: UnlocatedReport) -> dict[str, Any]:
    return {"kind": report.kind.value, "text": report.text, "status": report.status.value, "reason": report.reason,
            "received_at": report.received_at.isoformat()}


def _area(area: Area | None) -> dict[str, Any] | None:
    return None if area is None else {"code": area.code, "name": area.name, "level": area.level.value}


def jurisdiction_json(j: Jurisdiction | None) -> dict[str, Any] | None:
    if j is None:
        return None
    return {"inside_regency": j.inside_regency, "kabupaten": _area(j.kabupaten), "kecamatan": _area(j.kecamatan),
            "desa": _area(j.desa), "border_with": [_area(a) for a in j.border_with],
            "nearest_posts": [{"agency": p.agency, "agency_name": p.agency_name, "post": p.post, "lat": p.lat,
                               "lon": p.lon, "distance_m": round(p.distance_m, 1)} for p in j.nearest_posts]}

"""Known incidents (mass-incident mode, issue 13): what a supervisor posts so that callers hear it before the queue.

A supervisor posts "kebakaran di Pasar Penajam sudah ditangani Damkar" with an area and an end time; while it is
active, a caller from that area (or one whose location is unknown at intake) hears it — in Indonesian, then in
English — and stays in line for a call taker. Pure rules: validation, the active window, whether an area holds a
caller. The geometry of kecamatan/desa is the jurisdiction map's (``routing.jurisdiction``): the service asks it
where a caller is and hands the answer here as ``Whereabouts``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ec112.domain.errors import InvalidRequest
from ec112.domain.events import DomainEvent
from ec112.domain.location import Location

MAX_TEXT = 400  # a prompt of about 30 s when spoken: longer news belongs to a call taker, not to a recording
MAX_RADIUS_M = 50_000.0
_EARTH_RADIUS_M = 6_371_008.8


class AreaKind(StrEnum):
    REGENCY = "regency"  # the whole regency: every caller
    KECAMATAN = "kecamatan"  # a kecamatan by its Kemendagri code
    DESA = "desa"  # a desa/kelurahan by its code
    CIRCLE = "circle"  # a point and a radius


class RenderState(StrEnum):
    """The incident's own text as a recording (espeak-ng): without it only the generic prompt plays."""

    OFF = "off"  # no render directory configured
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class IncidentArea:
    kind: AreaKind
    code: str | None = None  # kecamatan / desa
    name: str | None = None  # its name as shown ("Kecamatan Penajam"), filled in by the service
    lat: float | None = None  # circle
    lon: float | None = None
    radius_m: float | None = None

    def __post_init__(self) -> None:
        if self.kind in (AreaKind.KECAMATAN, AreaKind.DESA) and not self.code:
            raise InvalidRequest(f"a {self.kind.value} area needs its code / kode wilayah wajib")
        if self.kind is AreaKind.CIRCLE:
            if self.lat is None or self.lon is None or self.radius_m is None:
                raise InvalidRequest("a circle needs lat, lon and radius_m / titik dan radius wajib")
            if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
                raise InvalidRequest("coordinates out of range / koordinat tidak valid")
            if not 0 < self.radius_m <= MAX_RADIUS_M:
                raise InvalidRequest(f"radius must be 1..{MAX_RADIUS_M:.0f} m / radius tidak valid")


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """Where a located caller is, in the regency's areas (from the jurisdiction map)."""

    kecamatan: str | None  # code
    desa: tuple[str, ...] = ()  # her desa and any desa she is on the border with


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def area_holds(area: IncidentArea, location: Location | None, where: Whereabouts | None) -> bool:
    """Whether a caller may be calling about an incident in ``area``.

    A caller without a location at intake hears it (she may well be calling about it; a call taker sorts her out).
    A circle holds a caller whose own uncertainty circle overlaps it: a cell-based fix kilometres wide near the
    fire is still a likely witness.
    """
    if area.kind is AreaKind.REGENCY or location is None:
        return True
    if area.kind is AreaKind.CIRCLE:
        assert area.lat is not None
        assert area.lon is not None
        assert area.radius_m is not None
        gap = distance_m(location.lat, location.lon, area.lat, area.lon) - (location.radius_m or 0.0)
        return gap <= area.radius_m
    if where is None:
        return False
    if area.kind is AreaKind.KECAMATAN:
        return where.kecamatan == area.code
    return area.code in where.desa


@dataclass(frozen=True, slots=True)
class KnownIncident:
    id: int
    text_id: str  # Bahasa Indonesia (required)
    text_en: str | None  # English (optional: without it the English part is the generic prompt only)
    area: IncidentArea
    posted_at: datetime
    posted_by: str
    ends_at: datetime  # planned end; always set (a known incident always ends)
    ticket_id: int | None = None  # the incident's own ticket, that callers' tickets are linked to
    ended_at: datetime | None = None  # ended early by a person
    ended_by: str | None = None
    calls: int = 0  # calls from its area while it was active
    heard: int = 0  # of those, how many heard the announcement (the others reached a free call taker at once)
    render: RenderState = RenderState.OFF
    # (language, file as Asterisk sees it, without extension) of the rendered text
    recordings: tuple[tuple[str, str], ...] = ()

    def end(self) -> datetime:
        return self.ended_at if self.ended_at is not None and self.ended_at < self.ends_at else self.ends_at

    def active(self, now: datetime) -> bool:
        return self.posted_at <= now < self.end()

    def seconds_left(self, now: datetime) -> float:
        return max(0.0, (self.end() - now).total_seconds()) if self.active(now) else 0.0


@dataclass(frozen=True, slots=True)
class IncidentDraft:
    text_id: str
    area: IncidentArea
    ends_at: datetime
    text_en: str | None = None
    ticket_id: int | None = None


def check_draft(draft: IncidentDraft, *, now: datetime, max_hours: int) -> IncidentDraft:
    """The draft normalised, or InvalidRequest saying what is wrong (Indonesian and English)."""
    text_id = " ".join(draft.text_id.split())
    text_en = " ".join((draft.text_en or "").split()) or None
    if not text_id:
        raise InvalidRequest("the Indonesian text is required / teks bahasa Indonesia wajib diisi")
    for text in (text_id, text_en or ""):
        if len(text) > MAX_TEXT:
            raise InvalidRequest(f"text longer than {MAX_TEXT} characters / teks terlalu panjang")
    if draft.ends_at.tzinfo is None:
        raise InvalidRequest("the end time needs a time zone / waktu selesai perlu zona waktu")
    if draft.ends_at <= now:
        raise InvalidRequest("the end time is in the past / waktu selesai sudah lewat")
    if draft.ends_at - now > timedelta(hours=max_hours):
        raise InvalidRequest(f"a known incident lasts at most {max_hours} h / paling lama {max_hours} jam")
    return replace(draft, text_id=text_id, text_en=text_en)


def end_early(incident: KnownIncident, *, by: str, at: datetime) -> KnownIncident:
    if not incident.active(at):
        raise InvalidRequest(f"known incident {incident.id} has already ended / kejadian sudah berakhir")
    return replace(incident, ended_at=at, ended_by=by)


class IncidentChange(StrEnum):
    POSTED = "posted"
    ENDED = "ended"
    COUNTED = "counted"  # a call arrived while it was active (and perhaps heard it)
    RENDERED = "rendered"  # its recording is ready or failed


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownIncidentChanged(DomainEvent):
    incident: KnownIncident
    change: IncidentChange

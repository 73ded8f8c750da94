"""Caller location as the domain sees it, whatever carried it (PIDF-LO by value or by reference, AML, a civic
address, the call taker's own pin or place), and the rule that picks the best one of a ticket (pure).

A ticket keeps every location it was given (``LocationReport``): the call taker sees all of them on the map
with their uncertainty, and the ticket shows the best current one (``best_location``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class LocationSource(StrEnum):
    """Where a location came from; kept with the ticket so a call taker can judge it."""

    PIDF_LO = "pidf-lo"  # RFC 6442 Geolocation + PIDF-LO by value in the INVITE (Asterisk's GEOLOC_PROFILE)
    PIDF_LO_REF = "pidf-lo-ref"  # RFC 6442 Geolocation by reference: a URI ec112 fetched
    CIVIC = "civic"  # a PIDF-LO civic address (RFC 5139), placed on the map through the gazetteer
    AML = "aml"  # Advanced Mobile Location SMS/HTTPS (ETSI TS 103 625), sent by the handset itself
    MANUAL = "manual"  # the call taker dropped a pin on the map
    GAZETTEER = "gazetteer"  # the call taker picked a desa, kecamatan or landmark from the offline gazetteer


# Methods that mean the handset measured its own position (RFC 4119 method tokens, AML's pm/ls/location_source).
DEVICE_METHODS = frozenset({"gps", "a-gps", "agps", "gnss", "wifi", "wlan", "fused", "dbh"})


@dataclass(frozen=True, slots=True)
class Location:
    """A WGS84 position with an optional uncertainty radius in metres.

    ``shape`` is the geometry the sender used (Point, Circle, Ellipse, Polygon…: non-circular shapes are kept
    as the circle that covers them); ``label`` names the place when it came from a name (a civic address, a
    desa picked in the gazetteer); ``confidence`` is the sender's confidence in percent, when it says.
    ``observed_at`` is when the position was measured (or, when the sender does not say, when it arrived).
    """

    lat: float
    lon: float
    radius_m: float | None
    source: LocationSource
    observed_at: datetime
    method: str | None = None  # "GPS", "Cell", "Wifi", ... as the sender states it
    confidence: int | None = None
    shape: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")
        if self.radius_m is not None and not self.radius_m >= 0.0:
            raise ValueError(f"radius must be >= 0: {self.radius_m}")
        if self.confidence is not None and not 0 <= self.confidence <= 100:
            raise ValueError(f"confidence must be 0..100: {self.confidence}")

    @property
    def device_measured(self) -> bool:
        """The handset measured it (AML, or a PIDF-LO whose method is GNSS/Wi-Fi), not the network or a person."""
        if self.source is LocationSource.AML:
            return True
        return self.source in (LocationSource.PIDF_LO, LocationSource.PIDF_LO_REF) and (
            (self.method or "").strip().lower() in DEVICE_METHODS)


class UnlocatedKind(StrEnum):
    REFERENCE = "reference"  # a Geolocation URI (by reference)
    CIVIC = "civic"  # a civic address the gazetteer could not place


class UnlocatedStatus(StrEnum):
    PENDING = "pending"  # being fetched
    FAILED = "failed"  # could not be fetched / placed: kept and shown as it came
    RESOLVED = "resolved"  # fetched/placed: its Location is in the ticket's reports too


@dataclass(frozen=True, slots=True)
class UnlocatedReport:
    """What the network said about where the caller is, without coordinates ec112 could use (yet): a
    by-reference URI not fetched (or not fetchable), a civic address not found in the gazetteer. Kept on the
    ticket and shown as text, never dropped."""

    kind: UnlocatedKind
    text: str  # the URI, or the civic address as one line
    received_at: datetime
    status: UnlocatedStatus
    reason: str | None = None  # why it failed: a stable code such as "timeout", "http_404", "too_large"


@dataclass(frozen=True, slots=True)
class LocationReport:
    """One location of a ticket as stored: the position, when ec112 got it, and its row id."""

    id: int
    location: Location
    received_at: datetime


# --- which location is the ticket's best one ---------------------------------------------------------------

# A position older than this (measured before the newest one by more than this) counts as "old": any fresh
# one beats it, whatever its source. Five minutes: a caller in a moving car has gone ~5 km.
FRESH_WINDOW = timedelta(minutes=5)


def _tier(location: Location) -> int:
    """Trust order of sources: the handset's own fix and the call taker's pin (she confirmed it with the
    caller) over the network's position, the civic address and a place picked by name (kecamatan-sized)."""
    if location.device_measured or location.source is LocationSource.MANUAL:
        return 2
    if location.source in (LocationSource.PIDF_LO, LocationSource.PIDF_LO_REF):
        return 1
    return 0


def best_location(locations: Iterable[Location], *, fresh_window: timedelta = FRESH_WINDOW) -> Location | None:
    """The location the ticket shows: fresh over old, then device/taker over network over named places, then
    the newest; a tie in time goes to the smaller uncertainty. None when there is none."""
    candidates = list(locations)
    if not candidates:
        return None
    newest = max(loc.observed_at for loc in candidates)

    def key(loc: Location) -> tuple[bool, int, datetime, float]:
        fresh = newest - loc.observed_at <= fresh_window
        radius = loc.radius_m if loc.radius_m is not None else float("inf")
        return (fresh, _tier(loc), loc.observed_at, -radius)

    return max(candidates, key=key)

"""Caller location as the domain sees it, whatever carried it (PIDF-LO, AML, Asterisk GEOLOC_PROFILE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LocationSource(StrEnum):
    """Where a location came from; kept with the ticket so a call taker can judge it."""

    PIDF_LO = "pidf-lo"  # RFC 6442 Geolocation + PIDF-LO by value in the INVITE
    AML = "aml"  # Advanced Mobile Location SMS/HTTPS (ETSI TS 103 625)
    MANUAL = "manual"  # typed in by a call taker


@dataclass(frozen=True, slots=True)
class Location:
    """A WGS84 position with an optional uncertainty radius in metres."""

    lat: float
    lon: float
    radius_m: float | None
    source: LocationSource
    observed_at: datetime
    method: str | None = None  # "GPS", "Cell", "Wifi", ... as the sender states it

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")
        if self.radius_m is not None and not self.radius_m >= 0.0:
            raise ValueError(f"radius must be >= 0: {self.radius_m}")

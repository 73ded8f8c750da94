"""Tickets as rows and back: the one mapping between ``domain.tickets.Ticket`` and the ``tickets`` table.

Shared by the ticket repository (db/tickets.py) and the location store (db/locations.py), which writes a ticket's
best location too. Every datetime is stored in UTC (SQLite keeps the wall-clock digits and drops the offset).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ec112.db.models import TicketLocationRow, TicketRow
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, Ticket, TicketStatus


def location_values(location: Location | None) -> dict[str, Any]:
    if location is None:
        return dict.fromkeys(
            ("loc_lat", "loc_lon", "loc_radius_m", "loc_source", "loc_method", "loc_observed_at")
        )
    return {
        "loc_lat": location.lat,
        "loc_lon": location.lon,
        "loc_radius_m": location.radius_m,
        "loc_source": location.source.value,
        "loc_method": location.method,
        "loc_observed_at": to_utc(location.observed_at),
    }


def location_row_values(ticket_id: int, location: Location, *, actor: str, received_at: datetime) -> dict[str, Any]:
    """The columns of a ``ticket_locations`` row."""
    return {
        "ticket_id": ticket_id, "source": location.source.value, "lat": location.lat, "lon": location.lon,
        "radius_m": location.radius_m, "method": (location.method or None) and location.method[:32],
        "confidence": location.confidence, "shape": (location.shape or None) and location.shape[:16],
        "label": (location.label or None) and location.label[:200],
        "observed_at": location.observed_at.astimezone(UTC), "received_at": received_at.astimezone(UTC),
        "actor": actor[:64],
    }


def location_row(ticket_id: int, location: Location, *, actor: str, received_at: datetime) -> TicketLocationRow:
    """A ``ticket_locations`` row (shared with ``db.locations``)."""
    return TicketLocationRow(**location_row_values(ticket_id, location, actor=actor, received_at=received_at))


def call_values(call: NewCall) -> dict[str, Any]:
    return {
        "linkedid": call.linkedid,
        "uniqueid": call.uniqueid,
        "channel": call.channel,
        "caller_number_raw": call.caller_number_raw,
        "caller_number_e164": call.caller_number_e164,
        "caller_name": call.caller_name,
        "intake": call.intake.value,
        "status": TicketStatus.NEW.value,
        "arrived_at": to_utc(call.arrived_at),
        "exercise": call.exercise,
        **location_values(call.location),
    }


def ticket_values(t: Ticket) -> dict[str, Any]:
    return {
        "caller_number_raw": t.caller_number_raw,
        "caller_number_e164": t.caller_number_e164,
        "caller_name": t.caller_name,
        "queued_at": to_utc(t.queued_at),
        "answered_at": to_utc(t.answered_at),
        "answered_by": t.answered_by,
        "ended_at": to_utc(t.ended_at),
        "outcome": t.outcome.value if t.outcome else None,
        "exercise": t.exercise,  # only ever set (intake, AMI, backfill): the drill endpoint's accountcode
        **location_values(t.location),
    }


def to_utc(value: datetime | None) -> datetime | None:
    """Store UTC: SQLite keeps the wall-clock digits and drops the offset."""
    return value.astimezone(UTC) if value is not None else None


def utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ticket_from_row(row: TicketRow | Any) -> Ticket:
    """From an ORM row or a Core row of the ``tickets`` table (same attribute names)."""
    location = None
    if row.loc_lat is not None and row.loc_lon is not None:
        location = Location(
            lat=row.loc_lat,
            lon=row.loc_lon,
            radius_m=row.loc_radius_m,
            source=LocationSource(row.loc_source or LocationSource.PIDF_LO.value),
            observed_at=utc(row.loc_observed_at) or utc(row.arrived_at) or datetime.now(UTC),
            method=row.loc_method,
        )
    return Ticket(
        id=row.id,
        linkedid=row.linkedid,
        uniqueid=row.uniqueid,
        channel=row.channel,
        caller_number_raw=row.caller_number_raw,
        caller_number_e164=row.caller_number_e164,
        caller_name=row.caller_name,
        location=location,
        intake=IntakeChannel(row.intake),
        status=TicketStatus(row.status),
        arrived_at=utc(row.arrived_at) or datetime.now(UTC),
        queued_at=utc(row.queued_at),
        answered_at=utc(row.answered_at),
        answered_by=row.answered_by,
        ended_at=utc(row.ended_at),
        outcome=CallOutcome(row.outcome) if row.outcome else None,
        classification=row.classification,
        category=row.category,
        address=row.address,
        description=row.description,
        classified_by=row.classified_by,
        classified_at=utc(row.classified_at),
        revision=row.revision or 0,
        exercise=bool(row.exercise),
    )

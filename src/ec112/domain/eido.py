"""A ticket as an EIDO-style JSON document (incident, calls, location, caller, agencies, notes, timeline).

Shaped after NENA-STA-021 EIDO component names so that a CAD or an agency system can map it, but ec112
does not claim conformance to NENA or ETSI EIDO: the field set is what ec112 knows, nothing invented.
Pure: the caller passes the ticket, its dispatches and its timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ec112.domain.dispatch import Dispatch
from ec112.domain.tickets import Ticket

EIDO_STYLE_VERSION = "ec112-eido-style/1"


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_ticket(
    ticket: Ticket,
    *,
    number: str,
    dispatches: Sequence[Dispatch],
    timeline: Sequence[Mapping[str, Any]],
    agency_names: Mapping[str, str],
    category_label: str | None,
    exported_at: datetime,
    system_version: str,
) -> dict[str, Any]:
    location = ticket.location
    closed_at = next((e["at"] for e in reversed(timeline) if e["kind"] in ("closed", "cancelled")), None)
    doc: dict[str, Any] = {
        "$comment": "EIDO-style export of one ec112 ticket; not a certified NENA/ETSI EIDO message",
        "format": EIDO_STYLE_VERSION,
        "eidoMessageIdentifier": f"urn:ec112:ticket:{number}:rev:{ticket.revision}",
        "lastUpdateTimeStamp": _ts(exported_at),
        "sendingSystem": {"name": "ec112", "version": system_version},
        "incidentComponent": {
            "incidentTrackingIdentifier": number,
            "incidentStatus": ticket.status.value,
            "classification": ticket.classification,
            "incidentTypeCode": ticket.category,
            "incidentTypeText": category_label,
            "description": ticket.description,
            "createdTimeStamp": _ts(ticket.arrived_at),
            "classifiedTimeStamp": _ts(ticket.classified_at),
            "classifiedBy": ticket.classified_by,
            "closedTimeStamp": _ts(closed_at) if isinstance(closed_at, datetime) else closed_at,
        },
        "callComponent": [{
            "callIdentifier": ticket.linkedid,
            "callType": "112-voice",
            "intake": ticket.intake.value,
            "callStartTimeStamp": _ts(ticket.arrived_at),
            "queueTimeStamp": _ts(ticket.queued_at),
            "callAnswerTimeStamp": _ts(ticket.answered_at),
            "callEndTimeStamp": _ts(ticket.ended_at),
            "callOutcome": ticket.outcome.value if ticket.outcome else None,
            "callTakerIdentifier": ticket.answered_by,
        }],
        "personComponent": [{
            "personRole": "caller",
            "name": ticket.caller_name,
            "contactPhone": ticket.caller_number_e164 or ticket.caller_number_raw,
        }],
        "locationComponent": [] if location is None and not ticket.address else [{
            "locationReference": "caller",
            "civicAddressText": ticket.address,
            "geo": None if location is None else {
                "type": "Circle" if location.radius_m else "Point",
                "lat": location.lat, "lon": location.lon, "radiusMeters": location.radius_m},
            "locationSource": location.source.value if location else None,
            "locationMethod": location.method if location else None,
            "observedTimeStamp": _ts(location.observed_at) if location else None,
        }],
        "agencyComponent": [{
            "agencyIdentifier": d.agency,
            "agencyName": agency_names.get(d.agency),
            "dispatchIdentifier": d.id,
            "status": d.status.value,
            "dispatchedTimeStamp": _ts(d.dispatched_at),
            "dispatchedBy": d.dispatched_by,
            "acknowledgementDeadline": _ts(d.ack_deadline),
            "acknowledgedTimeStamp": _ts(d.acknowledged_at),
            "acknowledgedBy": d.acknowledged_by,
            "responderIdentifier": d.responder,
            "respondingTimeStamp": _ts(d.responding_at),
            "processingTimeStamp": _ts(d.processing_at),
            "resolvedTimeStamp": _ts(d.resolved_at),
            "resolutionNote": d.resolution_note,
            "cancelledTimeStamp": _ts(d.cancelled_at),
            "escalationLevel": int(d.escalation),
        } for d in dispatches],
        "timeline": [
            {"timeStamp": _ts(e["at"]) if isinstance(e["at"], datetime) else e["at"], "kind": e["kind"],
             "actor": e.get("actor"), "data": e.get("data", {})}
            for e in timeline
        ],
    }
    return doc

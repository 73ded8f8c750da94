"""Per-agency / per-responder chain KPIs on a scripted set, the 60 s call-processing share, the EIDO export."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ec112.domain.dispatch import DispatchStatus, new_dispatch
from ec112.domain.dispatch_kpis import call_processing, chain_kpis, p90
from ec112.domain.eido import export_ticket
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def _ticket(i: int, answered_after: int) -> Ticket:
    return Ticket(i, f"l{i}", f"l{i}", "PJSIP/trunk", "0811", "+62811", "Budi", None, IntakeChannel.AGI,
                  TicketStatus.RESOLVED, T0, answered_at=T0 + answered_after * S, answered_by="taker01")


def test_p90_is_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([5.0]) == 5.0
    assert p90([float(v) for v in range(1, 11)]) == 9.0
    assert p90([float(v) for v in range(1, 21)]) == 18.0


def test_chain_intervals_per_agency_and_responder_and_the_60_second_target() -> None:
    tickets = {1: _ticket(1, 5), 2: _ticket(2, 8)}
    a = new_dispatch(1, "damkar", by="t", at=T0 + 45 * S, ack_timeout=60 * S)  # 40 s after answer
    a = replace(a, status=DispatchStatus.RESOLVED, acknowledged_at=T0 + 65 * S, responder="resp.budi",
                responding_at=T0 + 95 * S, resolved_at=T0 + 995 * S)
    b = new_dispatch(2, "damkar", by="t", at=T0 + 98 * S, ack_timeout=60 * S)  # 90 s after answer
    b = replace(b, status=DispatchStatus.ACKNOWLEDGED, acknowledged_at=T0 + 108 * S)
    c = new_dispatch(1, "dinkes", by="t", at=T0 + 50 * S, ack_timeout=60 * S)
    (damkar, dinkes) = chain_kpis([a, b, c], tickets, by="agency")
    assert (damkar.key, damkar.dispatches, damkar.resolved) == ("damkar", 2, 1)
    assert damkar.intervals["answer_to_dispatch"].median_seconds == 65.0
    assert damkar.intervals["answer_to_dispatch"].p90_seconds == 90.0
    assert damkar.intervals["dispatch_to_ack"].median_seconds == 15.0
    assert damkar.intervals["responding_to_resolved"].p90_seconds == 900.0
    assert dinkes.intervals["dispatch_to_ack"].count == 0
    (budi,) = chain_kpis([a, b, c], tickets, by="responder")
    assert (budi.key, budi.dispatches) == ("resp.budi", 1)
    processing = call_processing([a, b, c], tickets)
    assert (processing.tickets, processing.within_target, processing.pct_within_target) == (2, 1, 50.0)


def test_export_carries_incident_call_location_caller_agencies_and_timeline() -> None:
    ticket = replace(_ticket(1, 5), classification="darurat", category="kebakaran", address="Jl. Mawar 2",
                     location=Location(-6.2, 106.8, 30.0, LocationSource.PIDF_LO, T0, "GPS"), revision=4)
    d = new_dispatch(1, "damkar", by="taker01", at=T0 + 45 * S, ack_timeout=60 * S)
    timeline = [{"at": T0, "kind": "arrived", "actor": "ec112", "data": {}},
                {"at": T0 + 60 * S, "kind": "closed", "actor": "taker01", "data": {}}]
    doc = export_ticket(ticket, number="112-261128-00001", dispatches=[d], timeline=timeline,
                        agency_names={"damkar": "Damkar"}, category_label="Kebakaran", exported_at=T0 + 99 * S,
                        system_version="0.1.0")
    assert doc["eidoMessageIdentifier"] == "urn:ec112:ticket:112-261128-00001:rev:4"
    assert doc["incidentComponent"]["incidentTypeText"] == "Kebakaran"
    assert doc["incidentComponent"]["closedTimeStamp"] == (T0 + 60 * S).isoformat()
    assert doc["locationComponent"][0]["geo"] == {"type": "Circle", "lat": -6.2, "lon": 106.8, "radiusMeters": 30.0}
    assert doc["personComponent"][0]["contactPhone"] == "+62811"
    assert doc["agencyComponent"][0]["agencyName"] == "Damkar"
    assert [e["kind"] for e in doc["timeline"]] == ["arrived", "closed"]
    json.dumps(doc)  # serialisable as it is

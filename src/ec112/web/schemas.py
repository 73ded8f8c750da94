"""JSON shapes of the API. Field names are a public contract (CLI, panel, integrations)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ec112.domain.tickets import Ticket


class LocationOut(BaseModel):
    lat: float
    lon: float
    radius_m: float | None
    source: str
    method: str | None
    observed_at: datetime


class TicketOut(BaseModel):
    id: int
    number: str
    linkedid: str
    caller_number: str | None  # E.164 when the network sent a real number, else what it sent
    caller_number_raw: str | None
    caller_number_e164: str | None
    caller_name: str | None
    status: str
    outcome: str | None
    intake: str
    location: LocationOut | None
    answered_by: str | None
    created_at: datetime
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    classification: str | None  # darurat | informasi | prank | ghost
    category: str | None
    address: str | None
    description: str | None
    classified_by: str | None
    classified_at: datetime | None
    revision: int  # send it back when changing the ticket: a stale one gets 409
    exercise: bool = False  # a drill's call (LATIHAN): never a real figure

    @classmethod
    def from_ticket(cls, t: Ticket, prefix: str) -> TicketOut:
        loc = t.location
        return cls(
            id=t.id,
            number=t.number(prefix),
            linkedid=t.linkedid,
            caller_number=t.caller_number_e164 or t.caller_number_raw,
            caller_number_raw=t.caller_number_raw,
            caller_number_e164=t.caller_number_e164,
            caller_name=t.caller_name,
            status=t.status.value,
            outcome=t.outcome.value if t.outcome else None,
            intake=t.intake.value,
            location=None
            if loc is None
            else LocationOut(
                lat=loc.lat,
                lon=loc.lon,
                radius_m=loc.radius_m,
                source=loc.source.value,
                method=loc.method,
                observed_at=loc.observed_at,
            ),
            answered_by=t.answered_by,
            created_at=t.arrived_at,
            queued_at=t.queued_at,
            answered_at=t.answered_at,
            ended_at=t.ended_at,
            wait_seconds=t.wait_seconds,
            classification=t.classification,
            category=t.category,
            address=t.address,
            description=t.description,
            classified_by=t.classified_by,
            classified_at=t.classified_at,
            revision=t.revision,
            exercise=t.exercise,
        )


class MembershipOut(BaseModel):
    endpoint: str
    queue: str
    changed: bool


class PauseIn(BaseModel):
    reason: str


class ComponentOut(BaseModel):
    ok: bool
    detail: str
    since: datetime | None


class ReadyOut(BaseModel):
    ready: bool
    components: dict[str, ComponentOut]


class ErrorOut(BaseModel):
    code: str
    message: str


class KpiOut(BaseModel):
    period: str
    start: datetime
    end: datetime
    offered: int
    answered: int
    abandoned: int
    hung_up_in_intake: int
    in_progress: int
    avg_answer_seconds: float | None
    pct_answered_within_10s: float | None
    pct_answered_within_20s: float | None
    avg_longest_10pct_answer_seconds: float | None
    abandon_rate_pct: float | None
    longest_current_wait_seconds: float | None

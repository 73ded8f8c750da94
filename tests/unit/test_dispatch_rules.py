"""The dispatch life of one agency's part of a ticket, escalation timing, and the ticket's derived status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.dispatch import (
    DispatchStatus,
    Escalation,
    acknowledge,
    advance,
    assign,
    cancel,
    check_new_agencies,
    escalate,
    escalation_due,
    new_dispatch,
    ticket_status,
)
from ec112.domain.errors import InvalidRequest
from ec112.domain.tickets import TicketStatus

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_the_full_loop_records_who_and_when() -> None:
    d = new_dispatch(7, "damkar", by="taker01", at=T0, ack_timeout=60 * S)
    ack = acknowledge(d, by="officer.damkar", at=T0 + 20 * S)
    assigned = assign(ack.dispatch, "resp.budi", by="officer.damkar", at=T0 + 30 * S)
    go = advance(assigned.dispatch, DispatchStatus.RESPONDING, by="resp.budi", at=T0 + 40 * S,
                 position=(-6.2, 106.8))
    work = advance(go.dispatch, DispatchStatus.PROCESSING, by="resp.budi", at=T0 + 600 * S)
    done = advance(work.dispatch, DispatchStatus.RESOLVED, by="resp.budi", at=T0 + 1800 * S, note=" Api padam ")
    assert [s.kind for s in (ack, assigned, go, work, done)] == [
        "dispatch.acknowledged", "dispatch.assigned", "dispatch.responding", "dispatch.processing",
        "dispatch.resolved"]
    final = done.dispatch
    assert (final.acknowledged_by, final.responder, final.resolution_note) == ("officer.damkar", "resp.budi",
                                                                               "Api padam")
    assert (final.responding_at, final.resolved_at) == (T0 + 40 * S, T0 + 1800 * S)
    assert go.data["position"] == {"lat": -6.2, "lon": 106.8}
    assert done.data == {"agency": "damkar", "dispatch_id": 0, "note": "Api padam"}


@pytest.mark.parametrize("skip_to", [DispatchStatus.PROCESSING, DispatchStatus.RESOLVED])
def test_a_step_cannot_be_skipped(skip_to: DispatchStatus) -> None:
    d = acknowledge(new_dispatch(7, "damkar", by="t", at=T0, ack_timeout=60 * S), by="o", at=T0).dispatch
    with pytest.raises(InvalidRequest, match="cannot go to"):
        advance(d, skip_to, by="r", at=T0, note="x")


def test_refusals_are_clear() -> None:
    d = new_dispatch(7, "damkar", by="t", at=T0, ack_timeout=60 * S)
    with pytest.raises(InvalidRequest, match="after acknowledging"):
        assign(d, "resp.budi", by="o", at=T0)
    with pytest.raises(InvalidRequest, match="only from dispatched"):
        acknowledge(acknowledge(d, by="o", at=T0).dispatch, by="o", at=T0)
    processing = advance(advance(acknowledge(d, by="o", at=T0).dispatch, DispatchStatus.RESPONDING, by="r",
                                 at=T0).dispatch, DispatchStatus.PROCESSING, by="r", at=T0).dispatch
    with pytest.raises(InvalidRequest, match="closing note"):
        advance(processing, DispatchStatus.RESOLVED, by="r", at=T0, note="  ")
    with pytest.raises(InvalidRequest, match="cannot set"):
        advance(processing, DispatchStatus.ACKNOWLEDGED, by="r", at=T0)
    cancelled = cancel(d, by="spv", at=T0, reason="salah kirim").dispatch
    with pytest.raises(InvalidRequest, match="already cancelled"):
        cancel(cancelled, by="spv", at=T0, reason="again")


def test_escalation_goes_to_the_supervisor_then_the_alternate_and_never_repeats() -> None:
    d = new_dispatch(7, "dinkes", by="t", at=T0, ack_timeout=60 * S)
    assert escalation_due(d, T0 + 59 * S) is Escalation.NONE
    assert escalation_due(d, T0 + 60 * S) is Escalation.SUPERVISOR
    assert escalation_due(d, T0 + 120 * S) is Escalation.ALTERNATE
    first = escalate(d, Escalation.SUPERVISOR, at=T0 + 60 * S)
    assert first is not None
    assert (first.kind, first.actor, first.data["overdue_seconds"]) == ("dispatch.escalated.supervisor", "ec112", 0)
    assert escalate(first.dispatch, Escalation.SUPERVISOR, at=T0 + 61 * S) is None
    assert escalation_due(acknowledge(d, by="o", at=T0 + 30 * S).dispatch, T0 + 500 * S) is Escalation.NONE


def test_ticket_follows_its_least_advanced_open_dispatch() -> None:
    a = new_dispatch(7, "damkar", by="t", at=T0, ack_timeout=60 * S)
    b = acknowledge(new_dispatch(7, "dinkes", by="t", at=T0, ack_timeout=60 * S), by="o", at=T0).dispatch
    assert ticket_status(TicketStatus.CLASSIFIED, []) is TicketStatus.CLASSIFIED
    assert ticket_status(TicketStatus.CLASSIFIED, [a, b]) is TicketStatus.DISPATCHED
    gone = cancel(a, by="spv", at=T0, reason="tidak perlu").dispatch
    assert ticket_status(TicketStatus.CLASSIFIED, [gone, b]) is TicketStatus.ACKNOWLEDGED
    assert ticket_status(TicketStatus.CLASSIFIED, [gone]) is TicketStatus.CLASSIFIED
    with pytest.raises(InvalidRequest, match="already dispatched"):
        check_new_agencies([b], ["dinkes", "bpbd"])
    check_new_agencies([gone], ["damkar"])  # a cancelled dispatch may be sent again

"""The console's own state from presence (pure), and its ticket card with a configured map tile source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ec112.domain.accounts import Language
from ec112.domain.location import Location, LocationSource
from ec112.domain.presence import AgentState, AgentView, PresenceSnapshot
from ec112.domain.presence_views import QueueView
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.web.console import my_state
from ec112.web.i18n import I18n

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _snapshot(*agents: AgentView) -> PresenceSnapshot:
    return PresenceSnapshot(QueueView("112", (), tuple(a.endpoint for a in agents)), agents, ())


def _agent(state: AgentState, since: datetime = NOW, **kw: object) -> AgentView:
    fields: dict[str, object] = {"paused_reason": None, "call_linkedid": None, "caller_number": None,
                                 "calls_today": 3, "ticket": None} | kw
    return AgentView("taker01", "PJSIP/taker01", state, since, **fields)  # type: ignore[arg-type]


def test_not_a_member_is_out_of_the_queue() -> None:
    state = my_state("taker01", _snapshot(), NOW, 5)
    assert (state.state, state.in_queue, state.phone_unreachable, state.since) == ("logged_out", False, False, None)


def test_a_member_whose_phone_is_gone_is_told_so() -> None:
    state = my_state("taker01", _snapshot(_agent(AgentState.UNREACHABLE)), NOW, 5)
    assert (state.state, state.in_queue, state.phone_unreachable) == ("unreachable", True, True)


def test_wrap_up_counts_down_from_its_start() -> None:
    state = my_state("taker01", _snapshot(_agent(AgentState.WRAP_UP, NOW - timedelta(seconds=2))), NOW, 5)
    assert state.wrapup_remaining == 3.0
    late = my_state("taker01", _snapshot(_agent(AgentState.WRAP_UP, NOW - timedelta(seconds=9))), NOW, 5)
    assert late.wrapup_remaining == 0.0
    assert my_state("taker01", _snapshot(_agent(AgentState.AVAILABLE)), NOW, 5).wrapup_remaining is None


def test_on_call_carries_the_ticket_and_paused_the_reason() -> None:
    on_call = my_state("taker01", _snapshot(_agent(AgentState.ON_CALL, ticket="112-261128-00007")), NOW, 5)
    assert (on_call.state, on_call.ticket, on_call.calls_today) == ("on_call", "112-261128-00007", 3)
    paused = my_state("taker01", _snapshot(_agent(AgentState.PAUSED, paused_reason="sholat")), NOW, 5)
    assert (paused.state, paused.paused_reason) == ("paused", "sholat")


def test_ticket_card_hands_a_configured_tile_source_to_the_map() -> None:
    i18n = I18n("Asia/Jakarta")
    location = Location(-6.2, 106.8, None, LocationSource.AML, NOW, "GPS")
    ticket = Ticket(7, "l7", "l7", "PJSIP/trunk-7", "081234", "+6281234", None, location, IntakeChannel.AGI,
                    TicketStatus.NEW, NOW)
    context = {"t": ticket, "previous": [], "number": lambda t: f"112-261128-{t.id:05d}",
               "category_label": lambda code: code, "clock": lambda value: value.isoformat(),
               "categories": [("kebakaran", "Fire")], "tile_url": "http://tiles.lan/{z}/{x}/{y}.png",
               "attribution": "© Pemkab <b>tiles</b>"}
    html = i18n.render("console_ticket.html", i18n.translator(Language.EN), **context)
    assert 'data-tile-url="http://tiles.lan/{z}/{x}/{y}.png"' in html
    assert 'data-attribution="© Pemkab &lt;b&gt;tiles&lt;/b&gt;"' in html  # escaped in the attribute
    assert 'data-radius=""' in html
    assert "uncertainty unknown" in html
    assert "No map tiles are configured" not in html
    assert "What happened" in html

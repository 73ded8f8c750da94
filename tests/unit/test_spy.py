"""Listen, whisper, barge: the rules (who, which target, which mode) and Asterisk's ChanSpy events as ec112 reads
them (the AMI adapter's translator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ec112.ami.events import translate
from ec112.domain.accounts import Role, User
from ec112.domain.call_events import ChannelRow
from ec112.domain.errors import Conflict, Forbidden, InvalidRequest, Unavailable
from ec112.domain.presence_views import AgentState, AgentView, PresenceSnapshot, QueueView
from ec112.domain.spy import SpyMode, SpySession, SpyState, check_target, may_spy, parse_mode, switch
from ec112.domain.spy_calls import ChanSpyStarted, ChanSpyStopped
from ec112.services.audit import AuditService
from ec112.services.event_bus import NullEventBus
from ec112.services.spy import SpyService

AT = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _user(role: Role, endpoint: str | None) -> User:
    return User(1, "budi", "Budi", role, sip_endpoint=endpoint)


def test_supervisors_and_admins_with_a_phone_may_listen_call_takers_may_not() -> None:
    assert may_spy(_user(Role.SUPERVISOR, "spv01")) == "spv01"
    assert may_spy(_user(Role.ADMIN, "spv02")) == "spv02"
    with pytest.raises(Forbidden):
        may_spy(_user(Role.CALL_TAKER, "taker01"))
    with pytest.raises(Forbidden):
        may_spy(_user(Role.AGENCY_OFFICER, None))
    with pytest.raises(Conflict, match="no phone"):
        may_spy(_user(Role.SUPERVISOR, None))


@pytest.mark.parametrize("channel", ["PJSIP/taker01", "PJSIP/taker01-", "PJSIP/taker01-0000000A",
                                     "PJSIP/taker01-0000000a,qB", "PJSIP/taker01-0000000a|B", "SIP/taker01-0000000a",
                                     "Local/x@y-0000000a;1"])
def test_only_one_whole_pjsip_channel_is_a_target(channel: str) -> None:
    with pytest.raises(Conflict):
        check_target(channel)


def test_a_taker_channel_is_a_target() -> None:
    assert check_target("PJSIP/taker01-0000000a") == "PJSIP/taker01-0000000a"


def test_modes_and_switching() -> None:
    assert [parse_mode(m) for m in ("listen", "whisper", "barge")] == list(SpyMode)
    with pytest.raises(InvalidRequest):
        parse_mode("shout")
    ringing = SpySession("ec112spy-1", "budi", "spv01", "taker01", "PJSIP/taker01-0000000a", SpyMode.LISTEN,
                         SpyState.RINGING, AT)
    with pytest.raises(Conflict):
        switch(ringing, SpyMode.BARGE)
    active = switch(replace(ringing, state=SpyState.ACTIVE), SpyMode.BARGE)
    assert (active.mode, active.switching) == (SpyMode.BARGE, True)


def test_chanspy_events_are_read_by_the_spyers_uniqueid() -> None:
    start = {"Event": "ChanSpyStart", "SpyerChannel": "PJSIP/spv01-0000000b", "SpyerUniqueid": "ec112spy-ab",
             "SpyeeChannel": "PJSIP/taker01-0000000a", "SpyeeUniqueid": "x.2"}
    assert translate(start, AT) == ChanSpyStarted(AT, "ec112spy-ab", "PJSIP/spv01-0000000b",
                                                  "PJSIP/taker01-0000000a")
    stop = {"Event": "ChanSpyStop", "SpyerChannel": "PJSIP/spv01-0000000b", "SpyerUniqueid": "ec112spy-ab"}
    assert translate(stop, AT) == ChanSpyStopped(AT, "ec112spy-ab", "PJSIP/spv01-0000000b")


# --- the service, with Asterisk refusing -----------------------------------------------------------------------

class _Audit:
    def __init__(self) -> None:
        self.actions: list[str] = []

    async def append(self, *, at: datetime, actor: str, action: str, target: str | None,
                     detail: Mapping[str, Any]) -> Any:
        self.actions.append(action)


class _Dialer:
    def __init__(self) -> None:
        self.refuse: Exception | None = None

    async def ring(self, session: SpySession, ring_seconds: int) -> None:
        if self.refuse:
            raise self.refuse

    async def redirect(self, session_id: str, mode: SpyMode) -> None:
        if self.refuse:
            raise self.refuse

    async def hang_up(self, session_id: str) -> None:
        return None


class _Channels:
    async def active_channels(self) -> Sequence[ChannelRow]:
        return [ChannelRow("PJSIP/taker01-0000000a", "l1.2", "l1", None, None, None, None, "b", timedelta(0))]


def _room() -> PresenceSnapshot:
    busy = AgentView("taker01", "PJSIP/taker01", AgentState.ON_CALL, AT, None, "l1", None, 1, "112-1")
    return PresenceSnapshot(QueueView("112", (), ("PJSIP/taker01",)), (busy,), ())


async def test_a_refused_ring_leaves_no_session_and_a_refused_switch_keeps_the_mode() -> None:
    dialer, audit = _Dialer(), _Audit()
    spy = SpyService(dialer, _Channels(), _room, AuditService(audit), NullEventBus(), ring_seconds=20,
                     clock=lambda: AT)
    boss = _user(Role.SUPERVISOR, "spv01")
    dialer.refuse = Unavailable("Asterisk refused to ring the supervisor's phone")
    with pytest.raises(Unavailable):
        await spy.start(boss, "taker01", SpyMode.LISTEN)
    assert spy.sessions() == []
    assert audit.actions == []

    dialer.refuse = None
    session = await spy.start(boss, "taker01", SpyMode.LISTEN)
    assert session.taker_channel == "PJSIP/taker01-0000000a"
    await spy.apply(ChanSpyStarted(AT, session.id, "PJSIP/spv01-0000000b", session.taker_channel))
    dialer.refuse = Conflict("the supervisor's phone is no longer on the call")
    with pytest.raises(Conflict):
        await spy.switch(session.id, SpyMode.BARGE, boss)
    [kept] = spy.sessions()
    assert (kept.mode, kept.state, kept.switching) == (SpyMode.LISTEN, SpyState.ACTIVE, False)
    await spy.apply(ChanSpyStopped(AT, session.id, "PJSIP/spv01-0000000b"))
    assert spy.sessions() == []
    assert audit.actions == ["spy.started", "spy.stopped"]

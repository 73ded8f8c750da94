"""Listen, whisper, barge: the rules (who, which target, which mode) and Asterisk's ChanSpy events as ec112 reads
them (the AMI adapter's translator)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ec112.ami.events import translate
from ec112.domain.accounts import Role, User
from ec112.domain.errors import Conflict, Forbidden, InvalidRequest
from ec112.domain.spy import SpyMode, SpySession, SpyState, check_target, may_spy, parse_mode, switch
from ec112.domain.spy_calls import ChanSpyStarted, ChanSpyStopped

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

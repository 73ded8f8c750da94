"""The backfill's store on SQLite and PostgreSQL: positions and parts kept together, merge, settle, prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.records import SqlRecordStore
from ec112.domain.recorded_calls import FilePosition, RecordedCall

T0 = datetime(2026, 11, 28, 1, 7, 48, 866868, tzinfo=UTC)
ID = "ec112lab-1795828068.0"


async def test_parts_and_positions_round_trip(engine: AsyncEngine) -> None:
    store = SqlRecordStore(engine)
    assert await store.positions() == {}
    enter = RecordedCall(ID, emergency=True, queued_at=T0 + timedelta(seconds=1), caller_number="0812")
    changed = await store.record([enter], {"queue_log": FilePosition("1:2:ab", 120)}, T0)
    assert changed == 1
    assert await store.positions() == {"queue_log": FilePosition("1:2:ab", 120)}
    assert await store.unsettled(10) == []  # no CDR yet: the call is not over

    cdr = RecordedCall(ID, emergency=True, channel="PJSIP/trunk-00000000", caller_number="0812", caller_name="Budi",
                       arrived_at=T0, ended_at=T0 + timedelta(seconds=30))
    connect = RecordedCall(ID, emergency=True, answered_at=T0 + timedelta(seconds=3), answered_by="taker01")
    await store.record([cdr, connect], {"cdr": FilePosition("1:3:cd", 400), "queue_log": FilePosition("1:2:ab", 200)},
                       T0)
    [call] = await store.unsettled(10)
    assert call == RecordedCall(ID, emergency=True, channel="PJSIP/trunk-00000000", caller_number="0812",
                                caller_name="Budi", arrived_at=T0, ended_at=T0 + timedelta(seconds=30),
                                queued_at=T0 + timedelta(seconds=1), answered_at=T0 + timedelta(seconds=3),
                                answered_by="taker01")
    assert await store.positions() == {"cdr": FilePosition("1:3:cd", 400), "queue_log": FilePosition("1:2:ab", 200)}

    await store.settled(ID, T0)
    assert await store.unsettled(10) == []
    assert await store.record([cdr], {}, T0) == 0  # read again (a rotation false alarm): nothing new
    assert await store.unsettled(10) == []
    later = RecordedCall(ID, ended_at=T0 + timedelta(seconds=31))
    assert await store.record([later], {}, T0) == 1  # something new: settled anew
    [again] = await store.unsettled(10)
    assert again.ended_at == T0 + timedelta(seconds=31)


async def test_parts_of_other_calls_are_not_kept(engine: AsyncEngine) -> None:
    store = SqlRecordStore(engine)
    helpdesk = RecordedCall("other-1", emergency=False, arrived_at=T0, ended_at=T0 + timedelta(seconds=5))
    assert await store.record([helpdesk], {}, T0) == 0
    assert await store.unsettled(10) == []
    # … unless the same read shows it in the 112 queue (a CDR of another context, then ENTERQUEUE 112)
    queued = RecordedCall("other-1", emergency=True, queued_at=T0 + timedelta(seconds=1))
    assert await store.record([helpdesk, queued], {}, T0) == 1
    assert [c.linkedid for c in await store.unsettled(10)] == ["other-1"]


async def test_prune_forgets_old_calls(engine: AsyncEngine) -> None:
    store = SqlRecordStore(engine)
    old = RecordedCall("old", emergency=True, arrived_at=T0, ended_at=T0)
    new = RecordedCall("new", emergency=True, arrived_at=T0, ended_at=T0)
    await store.record([old], {}, T0 - timedelta(days=9))
    await store.record([new], {}, T0)
    assert await store.prune(T0 - timedelta(days=7)) == 1
    assert [c.linkedid for c in await store.unsettled(10)] == ["new"]

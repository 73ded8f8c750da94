"""The one AMI consumer: Asterisk read once per (re)connect for every sink; one failing sink spares the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ec112.ami.events import channel_rows, queue_snapshot, translate
from ec112.ami.status import CONNECTED_EVENT
from ec112.domain.call_events import CallEvent, ChannelRow, QueueSnapshot
from ec112.services.ami_pipeline import AmiEventPipeline, AsteriskSnapshot

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def event(raw: Mapping[str, str]) -> CallEvent:
    """What the AMI adapter hands the pipeline for this raw event."""
    typed = translate(raw, NOW)
    assert typed is not None
    return typed


class Source:
    def __init__(self, *, broken: bool = False, booting_reads: int = 0) -> None:
        self.reads = 0
        self.broken = broken
        self.booting_reads = booting_reads  # Asterisk still loading app_queue for that many reads

    async def queue_status(self, queue: str) -> QueueSnapshot:
        self.reads += 1
        if self.broken:
            raise TimeoutError("QueueStatus not answered")
        if self.reads <= self.booting_reads:
            raise RuntimeError("Invalid/unknown command: QueueStatus")
        return queue_snapshot([{"Event": "QueueParams", "Queue": queue},
                               {"Event": "QueueMember", "Queue": queue, "Location": "PJSIP/taker01"}])

    async def active_channels(self) -> Sequence[ChannelRow]:
        return channel_rows([{"Channel": "PJSIP/trunk-1", "Uniqueid": "1.1", "Linkedid": "1.1"}])


class Sink:
    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.events: list[str] = []
        self.snapshots: list[AsteriskSnapshot | None] = []

    async def apply(self, event: CallEvent) -> None:
        self.events.append(type(event).__name__)
        if self.fails:
            raise ValueError("bug in this sink")

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        self.snapshots.append(snapshot)
        if self.fails:
            raise ValueError("bug in this sink")


async def test_one_snapshot_per_connect_is_shared_by_every_sink() -> None:
    source, first, second = Source(), Sink(), Sink()
    applied: list[str] = []
    pipeline = AmiEventPipeline(source, [first, second], queue="112", clock=lambda: NOW,
                                on_applied=lambda e: applied.append(type(e).__name__))
    await pipeline.handle(event({"Event": CONNECTED_EVENT}))
    assert source.reads == 1
    (snapshot,) = first.snapshots
    assert snapshot is not None
    assert second.snapshots == [snapshot]
    assert snapshot.taken_at == NOW
    assert [m.interface for m in snapshot.queue_status.members] == ["PJSIP/taker01"]
    assert [c.channel for c in snapshot.channels] == ["PJSIP/trunk-1"]
    assert first.events == []  # the connect marker is not an event for the sinks
    await pipeline.handle(event({"Event": "Hangup"}))
    assert first.events == second.events == ["ChannelHungUp"]
    assert applied == ["AsteriskConnected", "ChannelHungUp"]


async def test_a_failing_sink_does_not_keep_events_from_the_next() -> None:
    broken, healthy = Sink(fails=True), Sink()
    pipeline = AmiEventPipeline(Source(), [broken, healthy], queue="112", clock=lambda: NOW)
    await pipeline.handle(event({"Event": CONNECTED_EVENT}))
    await pipeline.handle(event({"Event": "QueueCallerJoin"}))
    assert healthy.events == ["CallerJoinedQueue"]
    assert len(healthy.snapshots) == 1


async def test_unreadable_asterisk_state_still_announces_the_connect() -> None:
    sink, source = Sink(), Source(broken=True)
    pipeline = AmiEventPipeline(source, [sink], queue="112", clock=lambda: NOW, snapshot_attempts=3,
                                snapshot_retry_seconds=0.01)
    await pipeline.handle(event({"Event": CONNECTED_EVENT}))
    assert sink.snapshots == [None]
    assert source.reads == 3  # tried again before giving up


async def test_a_still_booting_asterisk_is_read_again_until_it_answers() -> None:
    sink, source = Sink(), Source(booting_reads=2)
    pipeline = AmiEventPipeline(source, [sink], queue="112", clock=lambda: NOW, snapshot_retry_seconds=0.01)
    await pipeline.handle(event({"Event": CONNECTED_EVENT}))
    assert source.reads == 3
    assert len(sink.snapshots) == 1
    assert sink.snapshots[0] is not None
    assert [m.interface for m in sink.snapshots[0].queue_status.members] == ["PJSIP/taker01"]

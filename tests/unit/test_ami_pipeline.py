"""The one AMI consumer: Asterisk read once per (re)connect for every sink; one failing sink spares the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ec112.services.ami_pipeline import AMI_CONNECTED, AmiEventPipeline, AsteriskSnapshot

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


class Source:
    def __init__(self, *, broken: bool = False) -> None:
        self.reads = 0
        self.broken = broken

    async def queue_status(self, queue: str) -> Sequence[Mapping[str, str]]:
        self.reads += 1
        if self.broken:
            raise TimeoutError("QueueStatus not answered")
        return [{"Event": "QueueParams", "Queue": queue}]

    async def active_channels(self) -> Sequence[Mapping[str, str]]:
        return [{"Channel": "PJSIP/trunk-1", "Uniqueid": "1.1", "Linkedid": "1.1"}]


class Sink:
    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.events: list[str] = []
        self.snapshots: list[AsteriskSnapshot | None] = []

    async def apply(self, event: Mapping[str, str]) -> None:
        self.events.append(event["Event"])
        if self.fails:
            raise ValueError("bug in this sink")

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        self.snapshots.append(snapshot)
        if self.fails:
            raise ValueError("bug in this sink")


async def test_one_snapshot_per_connect_is_shared_by_every_sink() -> None:
    source, first, second = Source(), Sink(), Sink()
    applied: list[str] = []
    pipeline = AmiEventPipeline(source, [first, second], queue="112", clock=lambda: NOW, on_applied=applied.append)
    await pipeline.handle({"Event": AMI_CONNECTED})
    assert source.reads == 1
    (snapshot,) = first.snapshots
    assert snapshot is not None
    assert second.snapshots == [snapshot]
    assert snapshot.taken_at == NOW
    assert snapshot.queue_status == [{"Event": "QueueParams", "Queue": "112"}]
    assert first.events == []  # the connect marker is not an event for the sinks
    await pipeline.handle({"Event": "Hangup"})
    assert first.events == second.events == ["Hangup"]
    assert applied == [AMI_CONNECTED, "Hangup"]


async def test_a_failing_sink_does_not_keep_events_from_the_next() -> None:
    broken, healthy = Sink(fails=True), Sink()
    pipeline = AmiEventPipeline(Source(), [broken, healthy], queue="112", clock=lambda: NOW)
    await pipeline.handle({"Event": AMI_CONNECTED})
    await pipeline.handle({"Event": "QueueCallerJoin"})
    assert healthy.events == ["QueueCallerJoin"]
    assert len(healthy.snapshots) == 1


async def test_unreadable_asterisk_state_still_announces_the_connect() -> None:
    sink = Sink()
    pipeline = AmiEventPipeline(Source(broken=True), [sink], queue="112", clock=lambda: NOW)
    await pipeline.handle({"Event": AMI_CONNECTED})
    assert sink.snapshots == [None]

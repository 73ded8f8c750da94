"""The recordings store on SQLite and PostgreSQL: a seal is written with its timeline event and audit entry in one
transaction; calls ended without a seal are found (catch-up at start); the retention list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.audit import SqlAuditStore
from ec112.db.recordings import SqlRecordingStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.audit import AuditDraft
from ec112.domain.recordings import Recording, RecordingState
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, NewCall, ended


async def test_seal_unsealed_and_retention_lists(engine: AsyncEngine) -> None:
    tickets, store = SqlTicketRepository(engine), SqlRecordingStore(engine)
    arrived = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    made = []
    for n in (1, 2, 3):
        ticket, _ = await tickets.open(NewCall(f"lab-{n}.0", f"lab-{n}.0", f"PJSIP/trunk-0000000{n}", None, None,
                                               None, arrived, IntakeChannel.AGI))
        if n != 3:  # the third call goes on
            ticket = ended(ticket, arrived + timedelta(minutes=n))
            await tickets.save(ticket)
        made.append(ticket)
    since = arrived - timedelta(days=1)
    assert sorted(await store.unsealed(since)) == [made[0].id, made[1].id]

    rec = Recording(made[0].id, made[0].linkedid, "2026/12/01/lab-1.0.wav", RecordingState.SEALED, arrived,
                    arrived + timedelta(minutes=1), 60.0, 960_044, "ab" * 32)
    assert await store.add(Recording(made[0].id, made[0].linkedid, rec.path, RecordingState.RECORDING, arrived),
                           TicketEvent(made[0].id, arrived, "recording.started", "ec112", {}))
    assert await store.unsealed(since) == [made[0].id, made[1].id]  # still recording: not sealed
    await store.save(rec, TicketEvent(made[0].id, arrived, "recording.sealed", "ec112", {"sha256": rec.sha256}),
                     AuditDraft("ec112", "recording.sealed", "112-x", {"sha256": rec.sha256}))
    assert await store.unsealed(since) == [made[1].id]
    assert await store.for_ticket(made[0].id) == rec
    entries = await SqlAuditStore(engine).recent(10)
    assert [(e.action, e.detail["sha256"]) for e in entries] == [("recording.sealed", rec.sha256)]
    assert [r.ticket_id for r in await store.ended_before(arrived + timedelta(minutes=2))] == [made[0].id]
    assert await store.ended_before(arrived) == []
    assert await store.for_ticket(0) is None

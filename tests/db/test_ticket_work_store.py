"""Call-taker work on tickets, on SQLite and PostgreSQL: classification with its event, optimistic
concurrency, the tracker never erasing it, and the ticket search used by the list and the console."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.errors import Conflict
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import Classification, ClassificationInput, classify
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, TicketStatus, answered, ended

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)
CATEGORIES = CategoryCatalogue()


def _call(n: int, number: str = "+6281234567890", at: datetime = T0) -> NewCall:
    return NewCall(linkedid=f"lab-{n}", uniqueid=f"lab-{n}", channel=f"PJSIP/trunk-{n:08x}",
                   caller_number_raw=number.replace("+62", "0"), caller_number_e164=number,
                   caller_name=f"Warga {n}", arrived_at=at, intake=IntakeChannel.AGI)


async def _classified(repo: SqlTicketRepository, ticket: Ticket, kind: Classification, **kw: str) -> Ticket:
    change = ClassificationInput(kind, kw.get("category"), kw.get("address"), kw.get("description"))
    updated, event = classify(ticket, change, by="taker01", at=T0 + timedelta(seconds=40), categories=CATEGORIES)
    return await repo.save_work(updated, event)


async def test_classification_is_stored_with_its_event_and_bumps_the_revision(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(_call(1))
    saved = await _classified(repo, ticket, Classification.EMERGENCY, category="kebakaran",
                              address="Jl. Merdeka 5, RT 02/RW 03", description="Rumah terbakar, 2 orang di dalam")
    again = await repo.get(ticket.id)
    assert again == saved
    assert (saved.status, saved.classification, saved.category) == (TicketStatus.CLASSIFIED, "darurat", "kebakaran")
    assert (saved.classified_by, saved.classified_at, saved.revision) == ("taker01", T0 + timedelta(seconds=40), 1)
    (event,) = await repo.events(ticket.id)
    assert (event.kind, event.actor, event.at) == ("classified", "taker01", T0 + timedelta(seconds=40))
    assert event.data["description"] == "Rumah terbakar, 2 orang di dalam"


async def test_a_stale_revision_is_refused_and_stores_nothing(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(_call(1))
    await _classified(repo, ticket, Classification.PRANK)
    with pytest.raises(Conflict):  # based on revision 0, but the ticket is at 1 now
        await _classified(repo, ticket, Classification.GHOST)
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert stored.classification == "prank"
    assert [e.kind for e in await repo.events(ticket.id)] == ["classified"]


async def test_call_tracking_never_erases_the_call_takers_work(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(_call(1))
    stale = answered(ticket, "taker01", T0 + timedelta(seconds=5))  # the tracker read it before the save
    await _classified(repo, ticket, Classification.INFORMATION, description="Tanya nomor PLN")
    await repo.save(ended(stale, T0 + timedelta(seconds=60)))
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert (stored.classification, stored.status, stored.description) == ("informasi", TicketStatus.CLOSED,
                                                                          "Tanya nomor PLN")
    assert stored.ended_at == T0 + timedelta(seconds=60)


async def test_search_by_number_caller_text_status_dates_with_paging(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    tickets = [(await repo.open(_call(i, number=f"+62812000000{i % 3}", at=T0 + timedelta(hours=i))))[0]
               for i in range(6)]
    await _classified(repo, tickets[1], Classification.EMERGENCY, category="banjir",
                      address="Desa Sukamaju", description="Banjir 50% setinggi lutut")
    await _classified(repo, tickets[4], Classification.PRANK)

    async def ids(**kw: object) -> list[int]:
        found, _ = await repo.search(TicketQuery(**kw))  # type: ignore[arg-type]
        return [t.id for t in found]

    newest_first = [t.id for t in reversed(tickets)]
    assert await ids() == newest_first
    assert await ids(text=tickets[2].number("112")) == [tickets[2].id]
    assert await ids(text="8120000001") == [tickets[4].id, tickets[1].id]  # part of the caller number
    assert await ids(text="0812 0000 001") == [tickets[4].id, tickets[1].id]  # as people type it
    assert await ids(text="sukamaju") == [tickets[1].id]  # address, any case
    assert await ids(text="50%") == [tickets[1].id]  # LIKE wildcards are literal
    assert await ids(text="warga 3") == [tickets[3].id]  # caller name
    assert await ids(status=TicketStatus.CLOSED) == [tickets[4].id]
    assert await ids(classification=Classification.EMERGENCY) == [tickets[1].id]
    assert await ids(arrived_from=T0 + timedelta(hours=2), arrived_to=T0 + timedelta(hours=4)) == [
        tickets[3].id, tickets[2].id]
    assert await ids(caller_e164="+628120000000", before_id=tickets[3].id) == [tickets[0].id]
    page, total = await repo.search(TicketQuery(limit=2, offset=2))
    assert ([t.id for t in page], total) == (newest_first[2:4], 6)
    _, matching = await repo.search(TicketQuery(text="8120000001", limit=1))
    assert matching == 2



async def test_search_follows_changed_words_short_text_and_counts_up_to_its_ceiling(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Words are found through an index kept in step with the ticket (SQLite: FTS5 + triggers, migration 0018).
    repo = SqlTicketRepository(engine)
    tickets = [(await repo.open(_call(i, at=T0 + timedelta(minutes=i))))[0] for i in range(4)]
    first = await _classified(repo, tickets[0], Classification.EMERGENCY, category="banjir",
                              address="Jl. Merdeka 5", description="Air naik")
    change = ClassificationInput(Classification.EMERGENCY, "banjir", "Gang Kenanga 7", "Air naik")
    updated, event = classify(first, change, by="taker01", at=T0 + timedelta(minutes=9), categories=CATEGORIES)
    await repo.save_work(updated, event)

    async def ids(text: str) -> list[int]:
        return [t.id for t in (await repo.search(TicketQuery(text=text)))[0]]

    assert await ids("kenanga") == [tickets[0].id]
    assert await ids("merdeka") == []  # the old address is no longer found
    assert await ids("ai") == [tickets[0].id]  # shorter than a trigram: still found (scanned)
    assert await ids('"x"') == []  # quotes are text, not FTS5 syntax
    assert await ids("kenanga\x00") == [tickets[0].id]  # a NUL (no stored text has one) neither fails nor hides
    # A text search counts no further than its page (+1: "more than"); the last page and beyond tell the total.
    totals = [(await repo.search(TicketQuery(text="Warga", limit=1, offset=o)))[1] for o in (0, 2, 3, 9)]
    assert totals == [2, 4, 4, 4]  # 2: more than 1; 4: more than 3 … the last page: exactly 4, and past it
    monkeypatch.setattr("ec112.domain.ticket_query.COUNT_CAP", 2)  # other searches count up to offset + COUNT_CAP
    totals = [(await repo.search(TicketQuery(limit=1, offset=o)))[1] for o in (0, 2, 9)]
    assert totals == [3, 4, 4]  # 3: more than 2; from offset 2 the ceiling is 4: exact


async def test_tracker_save_keeps_status(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(_call(1))
    saved = await _classified(repo, ticket, Classification.EMERGENCY, category="kebakaran")
    await repo.save(replace(saved, status=TicketStatus.NEW))  # a stale status from the tracker is not written
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert stored.status is TicketStatus.CLASSIFIED

"""Known incidents: which callers an area holds, when an incident is active, what a supervisor may post, and the
advice the intake gets — the announcement only while no call taker is free, every call from the area counted."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ec112.config.agencies_file import load_agencies
from ec112.config.boundaries_file import load_geography
from ec112.config.caller_settings import LocationSettings
from ec112.domain.accounts import Role, User
from ec112.domain.audit import AuditDraft
from ec112.domain.call_handling import CallHandling, Prompt
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.errors import Forbidden, InvalidRequest, NotFound
from ec112.domain.known_incidents import (
    AreaKind,
    IncidentArea,
    IncidentDraft,
    KnownIncident,
    KnownIncidentChanged,
    RenderState,
    Whereabouts,
    area_holds,
    check_draft,
)
from ec112.domain.location import Location, LocationSource
from ec112.routing.geography import Geography
from ec112.services.event_bus import LocalEventBus
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.prompt_renderer import RenderError, RenderPlace
from ec112.services.ticket_desk import TicketDesk

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
SPV = User(2, "spv", "Supervisor", Role.SUPERVISOR)
TAKER = User(3, "taker01", "Taker", Role.CALL_TAKER, "taker01")
PASAR_PENAJAM = (-1.2586, 116.8306)  # a point in Kelurahan Penajam, Kecamatan Penajam


def _at(lat: float, lon: float, radius: float | None = 10.0) -> Location:
    return Location(lat=lat, lon=lon, radius_m=radius, source=LocationSource.PIDF_LO, observed_at=T0)


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography(LocationSettings(), load_agencies().directory.agencies)


def _label(geo: Geography, code: str) -> tuple[float, float]:
    area = next(b for b in geo.boundaries if b.code == code)
    return area.label[1], area.label[0]


# --- pure rules ------------------------------------------------------------------------------------------------

def test_a_circle_holds_callers_whose_uncertainty_reaches_it_and_nobody_farther() -> None:
    area = IncidentArea(AreaKind.CIRCLE, lat=-1.2586, lon=116.8306, radius_m=500)
    assert area_holds(area, _at(-1.2586, 116.8306), None)
    assert area_holds(area, _at(-1.2630, 116.8306), None)  # ~490 m south
    assert not area_holds(area, _at(-1.2700, 116.8306), None)  # ~1.3 km south, precise fix
    assert area_holds(area, _at(-1.2700, 116.8306, radius=1000), None)  # the same with a 1 km cell fix
    assert area_holds(area, None, None)  # a caller without a location hears it: she may be calling about it


def test_kecamatan_and_desa_areas_hold_by_code_including_a_desa_on_the_border() -> None:
    kec = IncidentArea(AreaKind.KECAMATAN, "64.09.01")
    desa = IncidentArea(AreaKind.DESA, "64.09.01.1012")
    here = _at(*PASAR_PENAJAM)
    assert area_holds(kec, here, Whereabouts("64.09.01", ("64.09.01.1009",)))
    assert not area_holds(kec, here, Whereabouts("64.09.04", ()))
    assert area_holds(desa, here, Whereabouts("64.09.01", ("64.09.01.1009", "64.09.01.1012")))
    assert not area_holds(desa, here, Whereabouts("64.09.01", ("64.09.01.1009",)))
    assert not area_holds(desa, here, None)  # located, but nowhere on the map (at sea)
    assert area_holds(IncidentArea(AreaKind.REGENCY), here, None)


def test_an_incident_is_active_from_its_post_until_its_end_or_until_ended_early() -> None:
    i = KnownIncident(1, "Kebakaran", None, IncidentArea(AreaKind.REGENCY), T0, "spv", T0 + timedelta(hours=2))
    assert not i.active(T0 - timedelta(seconds=1))
    assert i.active(T0)
    assert i.active(T0 + timedelta(minutes=119))
    assert not i.active(T0 + timedelta(hours=2))
    assert i.seconds_left(T0 + timedelta(hours=1)) == 3600
    ended = replace(i, ended_at=T0 + timedelta(minutes=10), ended_by="spv")
    assert ended.active(T0 + timedelta(minutes=9))
    assert not ended.active(T0 + timedelta(minutes=10))
    assert ended.seconds_left(T0 + timedelta(minutes=11)) == 0


@pytest.mark.parametrize(("draft", "reason"), [
    (IncidentDraft("  ", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), "Indonesian text is required"),
    (IncidentDraft("x" * 401, IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), "longer than 400"),
    (IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 - timedelta(minutes=1)), "in the past"),
    (IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=25)), "at most 24 h"),
])
def test_a_draft_without_indonesian_text_or_a_sane_end_is_refused(draft: IncidentDraft, reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        check_draft(draft, now=T0, max_hours=24)


def test_areas_must_be_complete() -> None:
    with pytest.raises(InvalidRequest, match="needs its code"):
        IncidentArea(AreaKind.KECAMATAN)
    with pytest.raises(InvalidRequest, match="lat, lon and radius"):
        IncidentArea(AreaKind.CIRCLE, lat=-1.2, lon=116.8)
    with pytest.raises(InvalidRequest, match="radius"):
        IncidentArea(AreaKind.CIRCLE, lat=-1.2, lon=116.8, radius_m=0)


# --- the service, as the intake and the supervisor use it ------------------------------------------------------

class _Store:
    def __init__(self) -> None:
        self.rows: dict[int, KnownIncident] = {}
        self.audit: list[AuditDraft] = []
        self.counted: list[tuple[int, bool]] = []

    async def create(self, incident: KnownIncident, audit: AuditDraft) -> KnownIncident:
        saved = replace(incident, id=len(self.rows) + 1)
        self.rows[saved.id] = saved
        self.audit.append(audit)
        return saved

    async def end(self, incident_id: int, *, by: str, at: datetime, audit: AuditDraft) -> KnownIncident:
        self.rows[incident_id] = replace(self.rows[incident_id], ended_at=at, ended_by=by)
        self.audit.append(audit)
        return self.rows[incident_id]

    async def count_call(self, incident_id: int, *, heard: bool) -> None:
        self.counted.append((incident_id, heard))

    async def get(self, incident_id: int) -> KnownIncident:
        if incident_id not in self.rows:
            raise NotFound(f"no known incident {incident_id}")
        return self.rows[incident_id]

    async def ending_after(self, since: datetime, limit: int = 200) -> list[KnownIncident]:
        return [i for i in self.rows.values() if i.ends_at > since]

    async def recent(self, limit: int = 50) -> list[KnownIncident]:
        return list(reversed(self.rows.values()))[:limit]


class _Renderer:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.made: list[tuple[str, str]] = []

    async def render(self, text: str, language: str, target: Path) -> None:
        if self.fail:
            raise RenderError("espeak-ng exited with 1")
        target.write_bytes(b"RIFF")
        self.made.append((language, text))


class _Room:
    free = False


def _service(geo: Geography | None = None, *, room: _Room | None = None, renderer: _Renderer | None = None,
             place: RenderPlace | None = None, bus: LocalEventBus | None = None,
             store: _Store | None = None) -> tuple[KnownIncidentService, _Store, _Room]:
    store = store or _Store()
    room = room or _Room()
    desk = TicketDesk(None, categories=CategoryCatalogue(), ticket_prefix="112")  # type: ignore[arg-type]
    service = KnownIncidentService(store, desk, max_hours=24, takers_free=lambda: room.free,
                                   areas=geo.jurisdiction if geo else None, renderer=renderer, render_place=place,
                                   bus=bus, clock=lambda: T0)
    return service, store, room


async def test_callers_from_the_area_hear_it_only_while_no_call_taker_is_free_and_every_one_is_counted(
        geo: Geography) -> None:
    service, store, room = _service(geo)
    posted = await service.post(IncidentDraft("Kebakaran di Pasar Penajam sudah ditangani Damkar",
                                              IncidentArea(AreaKind.KECAMATAN, "64.09.01"),
                                              T0 + timedelta(hours=2), "The fire at Pasar Penajam is handled"), SPV)
    assert posted.area.name == "Kecamatan Penajam"
    assert (store.audit[0].actor, store.audit[0].action) == ("spv", "incident.post")

    in_penajam = _at(*_label(geo, "64.09.01.1012"))
    in_sepaku = _at(*_label(geo, "64.09.04.2011"))
    heard = service.advise("+6281234567890", in_penajam)
    assert heard == CallHandling(prompts=(Prompt("known-incident"),), reasons=(f"incident:{posted.id}",))
    assert service.advise(None, None).reasons == (f"incident:{posted.id}",)  # unknown location: hears it too
    assert service.advise("+6281234567891", in_sepaku) == CallHandling()  # another kecamatan: nothing
    room.free = True
    assert service.advise("+6281234567892", in_penajam) == CallHandling()  # a free taker answers at once
    await service.drain()
    assert store.counted == [(posted.id, True), (posted.id, True), (posted.id, False)]
    assert [(i.calls, i.heard) for i in service.active()] == [(3, 2)]


async def test_ending_it_stops_the_prompt_and_is_audited_only_supervisors_post_or_end() -> None:
    service, store, _room = _service()
    with pytest.raises(Forbidden):
        await service.post(IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), TAKER)
    posted = await service.post(IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)),
                                SPV)
    assert service.advise(None, None).prompts
    with pytest.raises(Forbidden):
        await service.end(posted.id, TAKER)
    ended = await service.end(posted.id, SPV)
    assert (ended.ended_by, store.audit[-1].action) == ("spv", "incident.end")
    assert service.advise(None, None) == CallHandling()
    with pytest.raises(InvalidRequest, match="already ended"):
        await service.end(posted.id, SPV)


async def test_an_unknown_area_code_is_refused(geo: Geography) -> None:
    service, _store, _room = _service(geo)
    with pytest.raises(InvalidRequest, match="no desa with code"):
        await service.post(IncidentDraft("Banjir", IncidentArea(AreaKind.DESA, "64.09.01"),  # a kecamatan's code
                                         T0 + timedelta(hours=1)), SPV)


async def test_its_text_is_rendered_id_then_en_and_played_after_the_generic_prompt(tmp_path: Path) -> None:
    bus = LocalEventBus()
    seen: list[KnownIncidentChanged] = []
    bus.subscribe(KnownIncidentChanged, seen.append)
    renderer = _Renderer()
    service, _store, _room = _service(renderer=renderer, place=RenderPlace(tmp_path, "/lab/rendered"), bus=bus)
    posted = await service.post(IncidentDraft("Banjir di Waru", IncidentArea(AreaKind.REGENCY),
                                              T0 + timedelta(hours=1), "Flood in Waru"), SPV)
    assert posted.render is RenderState.PENDING
    await service.drain()
    assert renderer.made == [("id", "Banjir di Waru"), ("en", "Flood in Waru")]
    rendered = (("id", f"/lab/rendered/incident-{posted.id}-id"), ("en", f"/lab/rendered/incident-{posted.id}-en"))
    assert service.advise(None, None).prompts == (Prompt("known-incident", rendered=rendered),)
    assert [e.change.value for e in seen] == ["posted", "rendered"]
    # After a restart the recordings on disk are used again, not rendered twice.
    again, _s, _r = _service(renderer=renderer, place=RenderPlace(tmp_path, "/lab/rendered"), store=_store)
    await again.load()
    assert again.active()[0].render is RenderState.READY
    assert len(renderer.made) == 2


async def test_a_failed_rendering_leaves_the_generic_prompt_and_says_so(tmp_path: Path) -> None:
    service, _store, _room = _service(renderer=_Renderer(fail=True), place=RenderPlace(tmp_path, "/r"))
    await service.post(IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), SPV)
    await service.drain()
    assert service.active()[0].render is RenderState.FAILED
    assert service.advise(None, None).prompts == (Prompt("known-incident"),)


async def test_the_count_is_written_off_the_callers_path() -> None:
    service, store, _room = _service()
    await service.post(IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), SPV)
    service.advise(None, None)
    assert store.counted == []  # advise() returned before anything was written
    await asyncio.sleep(0)
    await service.drain()
    assert store.counted == [(1, True)]

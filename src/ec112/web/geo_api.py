"""The regency's geography over HTTP, for the console's map and place search.

``/api/geo/boundaries`` is the checked boundary file (kabupaten, kecamatan, desa/kelurahan with their names),
the same for every user and every request until a restart: served with an ETag so a browser asks once.
``/api/geo/places`` is the gazetteer (a call taker types a desa or a landmark), ``/api/geo/locate`` says whose
a point is (desa, kecamatan, kabupaten, the nearest post of each agency), ``/api/geo/posts`` lists the posts
the map draws. Every staff role that sees tickets may read them; agency posts are for every staff role.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from ec112.domain.accounts import Permission
from ec112.domain.geography import Area, Jurisdiction, NearestPost, Place
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.routing.geography import Geography
from ec112.web.auth import require

BOUNDARIES_MAX_AGE = 3600  # seconds; the ETag makes a later look cheap (304)


class AreaOut(BaseModel):
    code: str
    name: str
    level: str


class NearestPostOut(BaseModel):
    agency: str
    agency_name: str
    post: str
    lat: float
    lon: float
    distance_m: float


class JurisdictionOut(BaseModel):
    inside_regency: bool
    kabupaten: AreaOut | None
    kecamatan: AreaOut | None
    desa: AreaOut | None
    border_with: list[AreaOut]
    nearest_posts: list[NearestPostOut]


class PlaceOut(BaseModel):
    name: str
    kind: str
    lat: float
    lon: float
    radius_m: float
    context: str
    code: str | None


class GeoPostOut(BaseModel):
    agency: str
    agency_name: str
    post: str
    lat: float
    lon: float


def _area(a: Area | None) -> AreaOut | None:
    return AreaOut(code=a.code, name=a.name, level=a.level.value) if a else None


def _post(p: NearestPost) -> NearestPostOut:
    return NearestPostOut(agency=p.agency, agency_name=p.agency_name, post=p.post, lat=p.lat, lon=p.lon,
                          distance_m=p.distance_m)


def jurisdiction_out(j: Jurisdiction) -> JurisdictionOut:
    return JurisdictionOut(inside_regency=j.inside_regency, kabupaten=_area(j.kabupaten),
                           kecamatan=_area(j.kecamatan), desa=_area(j.desa),
                           border_with=[AreaOut(code=a.code, name=a.name, level=a.level.value) for a in j.border_with],
                           nearest_posts=[_post(p) for p in j.nearest_posts])


def place_out(p: Place) -> PlaceOut:
    return PlaceOut(name=p.name, kind=p.kind, lat=p.lat, lon=p.lon, radius_m=p.radius_m, context=p.context,
                    code=p.code)


def geo_router(geography: Geography, directory: AgencyDirectory | CurrentAgencies) -> APIRouter:
    agencies = CurrentAgencies.of(directory)
    router = APIRouter(prefix="/api/geo", tags=["geography"])
    viewer = [Depends(require(Permission.VIEW_TICKETS))]
    etag = '"' + hashlib.sha256(geography.geojson).hexdigest()[:32] + '"'

    @router.get("/boundaries", dependencies=viewer, response_class=Response,
                responses={200: {"content": {"application/geo+json": {}}}, 304: {"description": "not modified"}})
    async def boundaries(request: Request) -> Response:
        """The boundary file as GeoJSON: features with properties code, name, level, parent, kind, label."""
        headers = {"ETag": etag, "Cache-Control": f"private, max-age={BOUNDARIES_MAX_AGE}"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(geography.geojson, media_type="application/geo+json", headers=headers)

    @router.get("/posts", response_model=list[GeoPostOut],
                dependencies=[Depends(require(Permission.VIEW_AGENCIES))])
    async def posts() -> list[GeoPostOut]:
        """Every agency post with coordinates, in the agencies file's order."""
        return [GeoPostOut(agency=a.code, agency_name=a.short_name, post=p.name, lat=p.lat, lon=p.lon)
                for a in agencies.directory.agencies for p in a.posts if p.lat is not None and p.lon is not None]

    @router.get("/places", response_model=list[PlaceOut], dependencies=viewer)
    async def places(q: Annotated[str, Query(min_length=1, max_length=100)],
                     limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[PlaceOut]:
        """Desa/kelurahan, kecamatan, kabupaten and landmarks by name: exact, then prefix, then close spelling."""
        return [place_out(p) for p in geography.gazetteer.search(q, limit)]

    @router.get("/locate", response_model=JurisdictionOut, dependencies=viewer)
    async def locate(lat: Annotated[float, Query(ge=-90, le=90)],
                     lon: Annotated[float, Query(ge=-180, le=180)]) -> JurisdictionOut:
        """Whose is this point: desa, kecamatan, kabupaten (a neighbour named; none at sea), nearest posts."""
        return jurisdiction_out(geography.jurisdiction.locate(lat, lon))

    return router

"""The console's geography over real HTTP: the boundary map (cached by ETag), the agency posts, place search
and "whose is this point", for the roles that see tickets; anonymous callers get nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        yield s


async def test_the_boundary_map_is_served_once_then_revalidated(stack: WebStack) -> None:
    client, _ = await logged_in(stack, "taker01")
    try:
        first = await client.get("/api/geo/boundaries")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/geo+json")
        assert "max-age=3600" in first.headers["cache-control"]
        features = first.json()["features"]
        names = {f["properties"]["name"] for f in features if f["properties"]["level"] == "kecamatan"}
        assert names == {"Penajam", "Waru", "Babulu", "Sepaku"}
        assert len(features) == 68
        again = await client.get("/api/geo/boundaries", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
    finally:
        await client.aclose()
    anonymous = await httpx.AsyncClient(base_url=stack.base_url).get("/api/geo/boundaries")
    assert anonymous.status_code == 401


async def test_place_search_and_locate_for_a_call_taker(stack: WebStack) -> None:
    client, _ = await logged_in(stack, "taker01")
    try:
        places = (await client.get("/api/geo/places", params={"q": "Kel. Gunung Setelen"})).json()
        assert places[0] == {"name": "Kelurahan Gunung Seteleng", "kind": "kelurahan", "lat": -1.247513,
                             "lon": 116.747366, "radius_m": places[0]["radius_m"],
                             "context": "Kec. Penajam, Kab. Penajam Paser Utara", "code": "64.09.01.1012"}
        assert 1000 < places[0]["radius_m"] < 10_000
        where = (await client.get("/api/geo/locate", params={"lat": -1.24751, "lon": 116.74737})).json()
        assert where["inside_regency"] is True
        assert (where["desa"]["name"], where["kecamatan"]["name"], where["kabupaten"]["code"]) == (
            "Gunung Seteleng", "Penajam", "64.09")
        nearest = where["nearest_posts"][0]
        assert (nearest["agency"], nearest["post"], nearest["distance_m"]) == ("dinkes", "Markas PSC 119", 0.0)
        at_sea = (await client.get("/api/geo/locate", params={"lat": -1.5, "lon": 117.3})).json()
        assert (at_sea["inside_regency"], at_sea["kabupaten"], at_sea["desa"]) == (False, None, None)
        assert (await client.get("/api/geo/locate", params={"lat": 100, "lon": 116})).status_code == 422
        assert (await client.get("/api/geo/places", params={"q": ""})).status_code == 422

    finally:
        await client.aclose()

async def test_posts_for_every_staff_role_search_only_for_those_who_see_tickets(stack: WebStack) -> None:
    client, _ = await logged_in(stack, "officer")
    try:
        posts = (await client.get("/api/geo/posts")).json()
        assert {"agency": "dinkes", "agency_name": "Dinkes / PSC 119", "post": "Puskesmas Sepaku",
                "lat": -0.84926, "lon": 116.71897} in posts
        assert all(p["lat"] is not None for p in posts)
        assert (await client.get("/api/geo/places", params={"q": "sepaku"})).status_code == 403
        assert (await client.get("/api/geo/boundaries")).status_code == 403
    finally:
        await client.aclose()

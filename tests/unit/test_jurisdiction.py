"""Where a caller is, on the shipped Penajam Paser Utara boundaries: the desa with its kecamatan and
kabupaten, a point on the line between two desa, a neighbouring kabupaten named, the sea outside everything,
and each agency's nearest post — fast enough for every live location update."""

from __future__ import annotations

import time

import pytest
import shapely
import shapely.ops

from ec112.config.agencies_file import load_agencies
from ec112.config.boundaries_file import load_geography
from ec112.config.caller_settings import LocationSettings
from ec112.domain.agencies import Agency, Post
from ec112.domain.geography import AreaLevel, haversine_m
from ec112.routing.areas import Boundary
from ec112.routing.geography import Geography
from ec112.routing.jurisdiction import JurisdictionMap


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography(LocationSettings(), load_agencies().directory.agencies)


def _label(geo: Geography, code: str) -> tuple[float, float]:
    area = next(b for b in geo.boundaries if b.code == code)
    return area.label[1], area.label[0]  # (lat, lon)


@pytest.mark.parametrize(("code", "name", "kecamatan"), [
    ("64.09.01.1012", "Gunung Seteleng", "Penajam"),
    ("64.09.01.1009", "Nipah-Nipah", "Penajam"),
    ("64.09.01.2020", "Giri Mukti", "Penajam"),
    ("64.09.02.1003", "Waru", "Waru"),
    ("64.09.02.2004", "Bangun Mulya", "Waru"),
    ("64.09.03.2001", "Babulu Darat", "Babulu"),
    ("64.09.03.2007", "Rawa Mulia", "Babulu"),
    ("64.09.04.1005", "Sepaku", "Sepaku"),
    ("64.09.04.2011", "Suko Mulyo", "Sepaku"),
])
def test_a_point_well_inside_a_desa_names_it_its_kecamatan_and_the_regency(
        geo: Geography, code: str, name: str, kecamatan: str) -> None:
    where = geo.jurisdiction.locate(*_label(geo, code))
    assert where.inside_regency
    assert where.desa is not None
    assert (where.desa.code, where.desa.name, where.desa.level) == (code, name, AreaLevel.DESA)
    assert where.kecamatan is not None
    assert (where.kecamatan.code, where.kecamatan.name) == (code[:8], kecamatan)
    assert where.kabupaten is not None
    assert (where.kabupaten.code, where.kabupaten.name) == ("64.09", "Kabupaten Penajam Paser Utara")
    assert where.border_with == ()


def test_a_point_on_the_line_between_two_desa_names_both(geo: Geography) -> None:
    nipah, nenang = (next(b for b in geo.boundaries if b.name == n) for n in ("Nipah-Nipah", "Nenang"))
    shared = shapely.line_merge(nipah.geometry.boundary.intersection(nenang.geometry.boundary))
    line = max(getattr(shared, "geoms", [shared]), key=lambda g: g.length)
    on_border = line.interpolate(0.5, normalized=True)
    where = geo.jurisdiction.locate(on_border.y, on_border.x)
    named = {where.desa.name if where.desa else None, *(a.name for a in where.border_with)}
    assert named == {"Nipah-Nipah", "Nenang"}
    assert where.inside_regency
    # The same point again: the same answer (deterministic), and 10 m inside Nenang still sees the border.
    assert geo.jurisdiction.locate(on_border.y, on_border.x) == where
    ten_m_in = shapely.ops.nearest_points(nenang.geometry.buffer(-0.00009), on_border)[0]  # 0.00009° ≈ 10 m
    near = geo.jurisdiction.locate(ten_m_in.y, ten_m_in.x)
    assert near.desa is not None
    assert near.desa.name == "Nenang"
    assert [a.name for a in near.border_with] == ["Nipah-Nipah"]


@pytest.mark.parametrize(("lat", "lon", "code", "name"), [
    (-1.2654, 116.8312, "64.71", "Kota Balikpapan"),  # Balikpapan, across the bay from Penajam
    (-1.7367, 116.0927, "64.01", "Kabupaten Paser"),
    (-0.4333, 116.9833, "64.02", "Kabupaten Kutai Kartanegara"),  # Tenggarong
])
def test_a_point_in_a_neighbouring_kabupaten_is_outside_and_named(
        geo: Geography, lat: float, lon: float, code: str, name: str) -> None:
    where = geo.jurisdiction.locate(lat, lon)
    assert not where.inside_regency
    assert where.kabupaten is not None
    assert (where.kabupaten.code, where.kabupaten.name) == (code, name)
    assert (where.kecamatan, where.desa, where.border_with) == (None, None, ())


@pytest.mark.parametrize(("lat", "lon"), [(-1.24, 116.79), (-1.5, 117.3)])  # Teluk Balikpapan, Selat Makassar
def test_a_point_at_sea_is_outside_every_kabupaten(geo: Geography, lat: float, lon: float) -> None:
    where = geo.jurisdiction.locate(lat, lon)
    assert (where.inside_regency, where.kabupaten, where.kecamatan, where.desa) == (False, None, None, None)
    assert where.nearest_posts  # the posts are still proposed, nearest first


def test_each_agency_nearest_post_nearest_first(geo: Geography) -> None:
    lat, lon = _label(geo, "64.09.04.1005")  # Kelurahan Sepaku, ~45 km north of Penajam
    posts = geo.jurisdiction.locate(lat, lon).nearest_posts
    assert posts[0].agency == "dinkes"
    assert posts[0].post == "Puskesmas Sepaku"  # its own post there, not PSC 119 in Penajam
    distances = [p.distance_m for p in posts]
    assert distances == sorted(distances)
    assert len({p.agency for p in posts}) == len(posts) == 12  # one per agency: every shipped agency has posts
    assert distances[1] > 40_000


def test_nearest_post_per_agency_with_posts_without_coordinates_skipped() -> None:
    square = shapely.Polygon([(116.0, -1.0), (117.0, -1.0), (117.0, -2.0), (116.0, -2.0)])
    kab = Boundary("64.09", "Kabupaten Uji", AreaLevel.KABUPATEN, None, "kabupaten", (116.5, -1.5), square)
    agencies = [
        Agency("a", "A", "A", (), (Post("far", -1.9, 116.9), Post("near", -1.51, 116.51))),
        Agency("b", "B", "B", (), (Post("mid", -1.6, 116.5),)),
        Agency("c", "C", "C", (), (Post("nowhere"),)),
    ]
    posts = JurisdictionMap([kab], "64.09", agencies).locate(-1.5, 116.5).nearest_posts
    assert [(p.agency, p.post) for p in posts] == [("a", "near"), ("b", "mid")]
    assert posts[0].distance_m == pytest.approx(haversine_m(-1.5, 116.5, -1.51, 116.51), abs=0.1)
    assert posts[1].distance_m == pytest.approx(11_119, rel=0.01)  # 0.1° of latitude


def test_locate_is_fast_enough_for_live_updates(geo: Geography) -> None:
    points = [(-0.8 - i * 0.0008, 116.3 + i * 0.00065) for i in range(1000)]
    started = time.perf_counter()
    for lat, lon in points:
        geo.jurisdiction.locate(lat, lon)
    assert (time.perf_counter() - started) / len(points) < 0.001

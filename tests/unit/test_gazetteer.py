"""Place search as a call taker types it (any case, with or without "Kel."/"Kec.", old spellings, typos) and a
caller's civic address placed in its desa, on the shipped Penajam Paser Utara boundaries and a landmark."""

from __future__ import annotations

import pytest

from ec112.config.boundaries_file import load_boundaries
from ec112.routing.areas import Landmark
from ec112.routing.gazetteer import Gazetteer, fold, split_level
from ec112.routing.jurisdiction import JurisdictionMap

PORT = Landmark("Pelabuhan Uji Coba", -1.2563, 116.7684, 150, ("pelabuhan feri uji",))  # a test landmark


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    boundaries, _geojson, _source = load_boundaries(None, "64.09")
    return Gazetteer(boundaries, "64.09", [PORT], locate=JurisdictionMap(boundaries, "64.09").locate)


def _names(places: list) -> list[str]:  # type: ignore[type-arg]
    return [p.name for p in places]


def test_sepaku_is_the_kecamatan_then_the_kelurahan_each_with_its_context(gazetteer: Gazetteer) -> None:
    first, second = gazetteer.search("sepaku")[:2]
    assert (first.name, first.kind, first.code, first.context) == (
        "Kecamatan Sepaku", "kecamatan", "64.09.04", "Kab. Penajam Paser Utara")
    assert (second.name, second.kind, second.code, second.context) == (
        "Kelurahan Sepaku", "kelurahan", "64.09.04.1005", "Kec. Sepaku, Kab. Penajam Paser Utara")
    assert first.radius_m > second.radius_m > 1000  # a kecamatan is wider than one of its kelurahan
    # "Kel." asks for the kelurahan: it comes first.
    assert _names(gazetteer.search("Kel. Sepaku")[:1]) == ["Kelurahan Sepaku"]


@pytest.mark.parametrize("typed", ["Kel. Gunung Seteleng", "kelurahan gunung seteleng", "GUNUNG SETELENG",
                                   "gunung setelen", "Gunung Stelen", "gunung  seteleng!"])
def test_gunung_seteleng_however_it_is_typed(gazetteer: Gazetteer, typed: str) -> None:
    found = gazetteer.search(typed)
    assert found
    assert found[0].name == "Kelurahan Gunung Seteleng"
    assert found[0].context == "Kec. Penajam, Kab. Penajam Paser Utara"
    assert (found[0].lat, found[0].lon) == pytest.approx((-1.2475, 116.7474), abs=0.001)


@pytest.mark.parametrize(("typed", "expected"), [
    ("penajem", "Kecamatan Penajam"),
    ("penajem", "Kelurahan Penajam"),
    ("nipa nipa", "Kelurahan Nipah-Nipah"),
    ("Soeko Moeljo", "Desa Suko Mulyo"),  # the old spelling
    ("babulu darad", "Desa Babulu Darat"),
    ("lawe2", "Kelurahan Lawe-lawe"),
])
def test_a_misspelling_finds_the_right_place_in_the_top_three(gazetteer: Gazetteer, typed: str,
                                                             expected: str) -> None:
    assert expected in _names(gazetteer.search(typed)[:3])


def test_exact_before_prefix_before_close_spelling(gazetteer: Gazetteer) -> None:
    found = _names(gazetteer.search("penajam"))
    assert found[:3] == ["Kecamatan Penajam", "Kelurahan Penajam", "Kabupaten Penajam Paser Utara"]
    giri = _names(gazetteer.search("giri"))
    assert set(giri[:2]) == {"Desa Giri Mukti", "Desa Giri Purwa"}  # both start with it


def test_neighbours_and_landmarks_are_found_too(gazetteer: Gazetteer) -> None:
    balikpapan = gazetteer.search("Kota Balikpapan")[0]
    assert (balikpapan.name, balikpapan.kind, balikpapan.context) == ("Kota Balikpapan", "kabupaten", "luar wilayah")
    port = gazetteer.search("pelabuhan feri")[0]
    assert (port.name, port.kind, port.radius_m) == ("Pelabuhan Uji Coba", "landmark", 150)
    assert port.context == "Penajam, Kec. Penajam"


def test_nothing_and_empty_find_nothing(gazetteer: Gazetteer) -> None:
    assert gazetteer.search("") == []
    assert gazetteer.search("   ") == []
    assert gazetteer.search("zzqx") == []
    assert len(gazetteer.search("a", limit=3)) <= 3


def test_fold_and_level_words() -> None:
    assert fold("Désa  Tjepu-Djaja") == "desa cepu jaja"
    assert split_level("Kec. Sepaku") == ("sepaku", "kecamatan")
    assert split_level("Kab. Penajam Paser Utara") == ("penajam paser utara", "kabupaten")
    assert split_level("desa") == ("desa", None)  # a lone level word is the name itself


def test_a_civic_address_is_placed_in_its_desa(gazetteer: Gazetteer) -> None:
    fields = {"country": "ID", "A1": "Kalimantan Timur", "A2": "Penajam Paser Utara", "A3": "Penajam",
              "A4": "Gunung Seteleng", "A6": "Jl. Provinsi", "HNO": "12"}
    place = gazetteer.find_civic(fields)
    assert place is not None
    assert (place.name, place.code) == ("Kelurahan Gunung Seteleng", "64.09.01.1012")
    # keys in any case, a typo in the desa, "Kec." in the kecamatan
    place = gazetteer.find_civic({"a3": "Kec. Sepaku", "a4": "Suko Mulio"})
    assert place is not None
    assert place.name == "Desa Suko Mulyo"


def test_a_civic_address_without_a_known_desa_is_its_kecamatan_else_nothing(gazetteer: Gazetteer) -> None:
    place = gazetteer.find_civic({"A2": "Penajam Paser Utara", "A3": "Waru", "A4": "Kampung Tidak Ada"})
    assert place is not None
    assert (place.name, place.kind) == ("Kecamatan Waru", "kecamatan")
    # the desa must be in the kecamatan given: Sepaku is not a desa of Babulu
    place = gazetteer.find_civic({"A3": "Babulu", "A4": "Sepaku"})
    assert place is not None
    assert place.name == "Kecamatan Babulu"
    assert gazetteer.find_civic({"A2": "Kota Balikpapan", "A4": "Sepaku"}) is None  # another kabupaten
    assert gazetteer.find_civic({"A6": "Jl. Sudirman", "HNO": "1"}) is None
    assert gazetteer.find_civic({}) is None
    landmark = gazetteer.find_civic({"LMK": "Pelabuhan Uji Coba"})
    assert landmark is not None
    assert landmark.kind == "landmark"


def test_a_name_that_starts_like_a_level_word_keeps_it(gazetteer: Gazetteer) -> None:
    assert _names(gazetteer.search("kampung baru")[:1]) == ["Kelurahan Kampung Baru"]

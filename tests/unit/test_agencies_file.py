"""The agencies file: the shipped default for the regency loads and maps sensibly; a centre's own file
changes the mapping without code; every kind of mistake is reported, all at once, with where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec112.config.agencies_file import AgenciesFileError, load_agencies
from ec112.domain.categories import DEFAULT_CATEGORIES

REGENCY = ["damkar", "bpbd", "dpupr", "dishub", "dinkes", "rsud", "dlh", "dp3ap2kb", "dinsos", "satpolpp",
           "distan", "pdam"]

GOOD = """
[[category]]
code = "kebakaran"
label_id = "Kebakaran"
label_en = "Fire"

[[category]]
code = "banjir"
label_id = "Banjir"
agency_order = ["tagana"]

[[agency]]
code = "bpbd"
name = "Badan Penanggulangan Bencana Daerah"
short_name = "BPBD"
categories = ["kebakaran", "banjir"]
phone = "(0321) 123 456"
alternate_contact = "Kalaksa BPBD 0812 1111 2222"
webhook_url = "https://wa-gateway.example/hook?token=rahasia"
ack_timeout_seconds = 120

[[agency.post]]
name = "Pusdalops"
lat = -7.55
lon = 112.23

[[agency]]
code = "tagana"
name = "Taruna Siaga Bencana"
categories = ["banjir"]

[[responder]]
username = "budi.bpbd"
agency = "bpbd"
name = "Budi Santoso"
phone = "+62 812 3333 4444"
"""


def _load(tmp_path: Path, text: str) -> AgenciesFileError:
    path = tmp_path / "agencies.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgenciesFileError) as caught:
        load_agencies(path)
    return caught.value


def test_the_shipped_default_maps_the_regencys_categories_to_its_agencies() -> None:
    categories, directory = load_agencies(default_ack_timeout_seconds=75)
    assert [a.code for a in directory.agencies] == REGENCY
    names = {a.code: a.name for a in directory.agencies}
    assert names["damkar"] == "Dinas Pemadam Kebakaran dan Penyelamatan"
    assert names["pdam"] == "Perusahaan Umum Daerah Air Minum"
    for built_in in DEFAULT_CATEGORIES:  # the codes tickets already carry stay, with the same labels
        assert categories.get(built_in.code) == built_in

    def first(category: str) -> list[str]:
        return [a.code for a in directory.with_authority(category)]

    assert first("kebakaran") == ["damkar", "bpbd"]
    assert first("kecelakaan_lalu_lintas") == ["dishub", "dinkes", "rsud"]
    assert first("kegawatdaruratan_medis") == ["dinkes", "rsud"]
    for disaster in ("banjir", "longsor", "gempa"):
        assert first(disaster)[0] == "bpbd"
        assert "dinsos" in first(disaster)
    assert first("pohon_tumbang") == ["dlh", "bpbd", "damkar"]  # its own agency_order
    assert first("jalan_jembatan_rusak")[0] == "dpupr"
    assert first("pencemaran_lingkungan") == ["dlh"]
    assert first("kekerasan_perempuan_anak")[0] == "dp3ap2kb"
    assert first("orang_terlantar")[0] == "dinsos"
    assert first("gangguan_ketertiban") == ["satpolpp"]
    assert first("hewan_liar")[0] == "damkar"
    assert first("air_bersih") == ["pdam"]
    assert first("hama_penyakit_ternak") == ["distan"]
    assert load_agencies().unassigned_categories() == ["lainnya"]  # the call taker picks by hand
    for agency in directory.agencies:
        assert agency.posts, agency.code
        assert all(p.lat is not None and p.lon is not None for p in agency.posts)  # demo points inside PPU
        assert agency.webhook_url is None
        assert directory.ack_timeout_seconds(agency) == 75
    assert directory.responders == ()


def test_a_centres_own_file_changes_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(GOOD, encoding="utf-8")
    categories, directory = load_agencies(path)
    assert [c.label_en for c in categories.all()] == ["Fire", "Banjir"]  # no English label: the Indonesian one
    assert [a.code for a in directory.with_authority("banjir")] == ["tagana", "bpbd"]
    bpbd, tagana = directory.agencies
    assert (bpbd.phone, bpbd.ack_timeout_seconds, directory.ack_timeout_seconds(bpbd)) == ("(0321) 123 456", 120, 120)
    assert bpbd.webhook_url == "https://wa-gateway.example/hook?token=rahasia"
    assert (bpbd.posts[0].name, bpbd.posts[0].lat, bpbd.posts[0].lon) == ("Pusdalops", -7.55, 112.23)
    assert (tagana.short_name, tagana.phone, tagana.webhook_url, tagana.posts) == (
        "Taruna Siaga Bencana", None, None, ())
    assert directory.ack_timeout_seconds(tagana) == 60
    assert [(r.username, r.name, r.phone) for r in directory.responders_of("bpbd")] == [
        ("budi.bpbd", "Budi Santoso", "+62 812 3333 4444")]


@pytest.mark.parametrize(("change", "expected"), [
    (('categories = ["kebakaran", "banjir"]', 'categories = ["kebakaraan", "banjir"]'),
     "agency 'bpbd': unknown category 'kebakaraan' (did you mean 'kebakaran'?)"),
    (('categories = ["kebakaran", "banjir"]', 'categories = ["banjir", "banjir"]'),
     "agency 'bpbd': category 'banjir' is listed twice"),
    (('code = "tagana"', 'code = "bpbd"'), "agency 'bpbd' is listed twice"),
    (('code = "banjir"', 'code = "kebakaran"'), "category 'kebakaran' is listed twice"),
    (('agency = "bpbd"', 'agency = "bpdb"'), "responder 'budi.bpbd': unknown agency 'bpdb' (did you mean 'bpbd'?)"),
    (("lat = -7.55", "lat = -97.55"),
     "agency #1 (bpbd) → post #1 (Pusdalops) → lat: Input should be greater than or equal to -90 (got -97.55)"),
    (("lon = 112.23", "lon = 212.23"), "agency #1 (bpbd) → post #1 (Pusdalops) → lon: Input should be less than"),
    (("lon = 112.23", ""), "agency #1 (bpbd) → post #1 (Pusdalops): give both lat and lon, or neither"),
    (('lat = -7.55', 'lat = "-7,55"'), "agency #1 (bpbd) → post #1 (Pusdalops) → lat: Input should be a valid number"),
    (("[[agency.post]]", "[[agency.posts]]"), "agency #1 (bpbd): unknown key 'posts' (did you mean 'post'?)"),
    (('agency_order = ["tagana"]', 'agency_order = ["damkar"]'),
     "category 'banjir': agency_order names unknown agency 'damkar'"),
    (('categories = ["banjir"]', 'categories = ["kebakaran"]'),
     "category 'banjir': agency_order names 'tagana', which has no authority for it"),
    (('code = "tagana"', 'code = "Tagana!"'), "agency #2 (Tagana!) → code: an agency code is 2-32 of a-z, 0-9, _"),
    (('phone = "+62 812 3333 4444"', 'phone = "nomor HP"'), "responder #1 (budi.bpbd) → phone: a phone number is"),
    (('username = "budi.bpbd"', 'username = "Budi BPBD"'), "responder #1 (Budi BPBD) → username: not an ec112"),
    (('name = "Taruna Siaga Bencana"', 'name = ""'), "agency #2 (tagana) → name: must not be empty"),
    (("ack_timeout_seconds = 120", "ack_timeout_seconds = 0"), "agency #1 (bpbd) → ack_timeout_seconds: Input should"),
    (('label_id = "Banjir"\n', ""), "category #2 (banjir) → label_id: missing (required)"),
    (('[[category]]\ncode = "kebakaran"', '[[categori]]\ncode = "kebakaran"'),
     "top level: unknown key 'categori' (did you mean 'category'?)"),
    (('name = "Pusdalops"', 'name = "Pusdalops'), "not valid TOML: "),
])
def test_each_mistake_is_named_with_where_it_is(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    error = _load(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in error.problems), error.problems
    assert str(tmp_path / "agencies.toml") in str(error)


def test_a_bad_webhook_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    bad = 'webhook_url = "wa-gateway.example/hook?token=rahasia"'
    error = _load(tmp_path, GOOD.replace('webhook_url = "https://wa-gateway.example/hook?token=rahasia"', bad))
    assert error.problems == ("agency #1 (bpbd) → webhook_url: must be an http:// or https:// URL with a host, "
                              "or empty",)
    assert "rahasia" not in str(error)


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    error = _load(tmp_path, GOOD.replace("lat = -7.55", "lat = 99").replace('short_name = "BPBD"', 'shortname = "x"'))
    assert len(error.problems) == 2
    assert str(error).startswith(f"agencies file {tmp_path / 'agencies.toml'}: 2 problems\n  - ")
    cross = _load(tmp_path, GOOD.replace('agency = "bpbd"', 'agency = "x1"').replace('"kebakaran", "banjir"]',
                                                                                     '"api", "banjir"]'))
    assert len(cross.problems) == 2


def test_a_file_without_agencies_or_categories(tmp_path: Path) -> None:
    error = _load(tmp_path, '[[category]]\ncode = "kebakaran"\nlabel_id = "Kebakaran"\n')
    assert error.problems == ("no [[agency]] table: at least one is needed",)
    assert _load(tmp_path, "agency = []").problems == ("no [[category]] table: at least one is needed",
                                                       "no [[agency]] table: at least one is needed")


def test_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(AgenciesFileError) as missing:
        load_agencies(tmp_path / "nope.toml")
    assert missing.value.problems == ("cannot read it: No such file or directory",)
    latin1 = tmp_path / "agencies.toml"
    latin1.write_bytes(GOOD.replace("Budi Santoso", "Budi Santoso\xe9").encode("latin-1"))
    with pytest.raises(AgenciesFileError, match="not UTF-8 text"):
        load_agencies(latin1)

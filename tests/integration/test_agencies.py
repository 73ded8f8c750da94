"""The real `ec112 serve` reads the agencies file: the shipped regency default, or a centre's edited copy
(the mapping changes with no code change), and the CLI shows what the API says."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration

REGENCY = ["damkar", "bpbd", "dpupr", "dishub", "dinkes", "rsud", "dlh", "dp3ap2kb", "dinsos", "satpolpp",
           "distan", "pdam"]


def test_the_daemon_serves_the_regencys_twelve_agencies(ec112: Ec112Daemon) -> None:
    listing = ec112.get("/api/agencies")
    assert [a["code"] for a in listing] == REGENCY
    damkar = listing[0]
    assert damkar["name"] == "Dinas Pemadam Kebakaran dan Penyelamatan"
    assert [c["code"] for c in damkar["categories"]] == ["kebakaran", "pohon_tumbang", "hewan_liar"]
    assert all(a["ack_timeout_seconds"] == 60 and a["ack_timeout_default"] for a in listing)
    assert not any(a["webhook_configured"] for a in listing)
    assert ec112.cli_json("agencies") == listing

    table = ec112.cli("agencies").stdout
    for seen in ("Dinas Pemadam", "Damkar", "Kebakaran", "Pusdalops BPBD", "Perumda Air Minum"):
        assert seen in table, seen
    by_code = {c["code"]: c["agencies"] for c in ec112.get("/api/categories")}
    assert by_code["kebakaran"] == ["damkar", "bpbd"]
    assert by_code["air_bersih"] == ["pdam"]


@pytest.mark.ec112_not_started
def test_a_centres_edited_file_changes_the_mapping_without_code(ec112: Ec112Daemon, tmp_path: Path) -> None:
    shipped = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    edited = shipped.replace('label_en = "Fire"\n', 'label_en = "Fire"\nagency_order = ["bpbd", "damkar"]\n', 1)
    edited += '\n[[responder]]\nusername = "budi.bpbd"\nagency = "bpbd"\nname = "Budi Santoso"\nphone = "0812 1"\n'
    path = tmp_path / "agencies.toml"
    path.write_text(edited, encoding="utf-8")
    assert ec112.cli("agencies", "check", str(path)).returncode == 0
    ec112.env["EC112_CALLCENTER__AGENCIES_FILE"] = str(path)
    ec112.env["EC112_CALLCENTER__ACK_TIMEOUT_SECONDS"] = "90"
    ec112.start()

    by_code = {c["code"]: c["agencies"] for c in ec112.get("/api/categories")}
    assert by_code["kebakaran"] == ["bpbd", "damkar"]
    listing = ec112.get("/api/agencies")
    bpbd = next(a for a in listing if a["code"] == "bpbd")
    assert bpbd["responders"] == [{"username": "budi.bpbd", "name": "Budi Santoso", "phone": "0812 1"}]
    assert bpbd["ack_timeout_seconds"] == 90
    assert ec112.cli_json("agencies") == listing

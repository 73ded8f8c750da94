"""`ec112 doctor`'s site rows start from ``[site] file``: what it expects of Asterisk, or a clear FAIL row."""

from __future__ import annotations

from pathlib import Path

from ec112.cli.doctor_site import ec112_contexts, site_expectation
from ec112.config.site_settings import SiteSettings
from ec112.services.doctor import Check, Status
from ec112.services.doctor_site import SiteExpectation, SiteTrunk

SITE = """
[[trunks]]
name = "telkom"
kind = "ip"
match = ["10.1.1.1"]

[[trunks]]
name = "opsel"
kind = "register"
server = "sip.opsel.example:5060"
username = "ec112ppu"

[[takers]]
name = "taker01"

[[supervisors]]
name = "sup01"
"""


def test_no_site_file_means_no_site_rows() -> None:
    assert site_expectation(SiteSettings()) is None


def test_the_site_file_names_every_endpoint_trunk_and_context(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(SITE)
    expect = site_expectation(SiteSettings(file=tmp_path / "site.toml", rendered_dir=Path("/etc/asterisk/ec112")))
    assert isinstance(expect, SiteExpectation)
    assert dict(expect.endpoints) == {"taker01": "ec112-from-takers", "sup01": "ec112-from-takers",
                                      "drill": "ec112-drill"}
    assert expect.trunks == (SiteTrunk("telkom", False), SiteTrunk("opsel", True))
    assert expect.include_line("extensions_ec112.conf") == '#include "/etc/asterisk/ec112/extensions_ec112.conf"'
    assert {"ec112-from-trunk", "ec112-emergency", "ec112-from-takers", "ec112-doctor"} <= set(ec112_contexts())


def test_an_unreadable_site_file_is_a_fail_row_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(SITE.replace('"10.1.1.1"', '"not an address;"'))
    row = site_expectation(SiteSettings(file=tmp_path / "site.toml"))
    assert isinstance(row, Check)
    assert row.status is Status.FAIL
    assert "trunks[0].match[0]" in row.detail
    assert "[site] file" in row.fix
    missing = site_expectation(SiteSettings(file=tmp_path / "gone.toml"))
    assert isinstance(missing, Check)
    assert "not found" in missing.detail

"""The site file and `ec112 site init|render` (issue 17): checked values, clear errors, secrets kept out of output."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112.cli import app
from ec112.config.settings import load_settings
from ec112.config.settings_file import read_endpoint_secrets, read_toml
from ec112.site.model import SiteFileError, load_site
from ec112.site.secrets import secrets_path

runner = CliRunner()
INIT = ["site", "init", "--ip-trunk", "telkom=10.1.1.1,10.1.2.0/24", "--register-trunk",
        "opsel=ec112ppu@sip.opsel.example:5060", "--numbers", "112,0112", "--takers", "17",
        "--local-net", "192.168.10.0/24", "--external-address", "203.0.113.5", "--softphone-server", "192.168.10.5"]


def _init(tmp_path: Path, *extra: str) -> Path:
    site = tmp_path / "site.toml"
    result = runner.invoke(app, [*INIT, "--site", str(site), *extra])
    assert result.exit_code == 0, result.output
    path = secrets_path(site)
    path.write_text(path.read_text().replace("\n[trunks]", '\n[trunks]\nopsel = "operator-secret-123"'))
    return site


def _render(site: Path, out: Path) -> str:
    result = runner.invoke(app, ["site", "render", "--site", str(site), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def test_init_writes_17_takers_and_render_writes_include_files_and_the_lines_to_add(tmp_path: Path) -> None:
    site = _init(tmp_path)
    output = _render(site, tmp_path / "out")
    for name in ("pjsip", "extensions", "queues", "manager", "musiconhold", "geolocation"):
        assert f'{name}.conf' in output
        assert f'#include "{(tmp_path / "out").resolve()}/{name}_ec112.conf"' in output
    pjsip = (tmp_path / "out" / "pjsip_ec112.conf").read_text()
    assert all(f"[taker{n:02d}](ec112-taker-endpoint)" in pjsip for n in range(1, 18))
    assert "match = 10.1.1.1,10.1.2.0/24" in pjsip
    assert "[opsel-reg]" in pjsip
    assert "server_uri = sip:sip.opsel.example:5060" in pjsip
    assert "local_net = 192.168.10.0/24" in pjsip
    assert "external_media_address = 203.0.113.5" in pjsip
    assert not re.search(r"^\[(global|system)\]", pjsip, re.M)  # the admin's sections stay the admin's
    extensions = (tmp_path / "out" / "extensions_ec112.conf").read_text()
    assert extensions.count("[ec112-from-trunk]") == 1  # both trunks enter ec112's trunk context (the contract's name)
    assert "context = ec112-from-trunk" in pjsip.split("[opsel](ec112-trunk-endpoint)", 1)[1]
    trunk_context = extensions.split("[ec112-from-trunk]\n", 1)[1].split("\n[", 1)[0]
    assert trunk_context == ("exten => 112,1,Goto(ec112-emergency,112,1)\n"  # once, though both trunks list it
                             "exten => 0112,1,Goto(ec112-emergency,112,1)\n")
    assert "exten => 0112,1,Goto(ec112-emergency,112,1)" in extensions
    assert 'REGEX("^PJSIP/(telkom|opsel)-[0-9a-f]{8}$"' in extensions  # the silent prompt: any trunk's caller
    for name in ("extensions", "queues", "manager", "musiconhold"):
        assert not re.search(r"^\[general\]", (tmp_path / "out" / f"{name}_ec112.conf").read_text(), re.M), name


def test_secrets_are_generated_private_kept_and_never_printed(tmp_path: Path) -> None:
    site = _init(tmp_path)
    secrets_file = secrets_path(site)
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    first = read_toml(secrets_file)
    output = _render(site, tmp_path / "out") + _render(site, tmp_path / "out")
    again = read_toml(secrets_file)
    assert again["endpoints"] == first["endpoints"]
    assert again["ami"] == first["ami"]
    values = [first["ami"]["secret"], "operator-secret-123", *first["endpoints"].values()]
    assert not any(v in output for v in values)
    assert not any(v in site.read_text() for v in values)  # the site file holds no secret
    accounts = read_endpoint_secrets(tmp_path / "out" / "accounts.toml")
    assert accounts["taker17"] == first["endpoints"]["taker17"]
    for path in (tmp_path / "out").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_settings_file_is_what_the_daemon_reads_and_keeps_the_admins_sections(tmp_path: Path) -> None:
    site = _init(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ec112.toml").write_text('[database]\nurl = "postgresql+asyncpg://ec112@db/ec112"\n[ami]\nport = 1\n')
    _render(site, out)
    settings = load_settings(out / "ec112.toml")
    assert settings.database.url == "postgresql+asyncpg://ec112@db/ec112"
    assert settings.ami.port == 5038
    assert settings.ami.secret.get_secret_value() == read_toml(secrets_path(site))["ami"]["secret"]
    assert settings.callbacks.trunk_endpoint == "telkom"
    assert settings.softphones.server == "192.168.10.5:5060"
    assert settings.site.file == site.resolve()
    assert settings.callcenter.queues_conf == (out / "queues_ec112.conf").resolve()


def test_a_registering_trunk_without_its_password_is_a_clear_error(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    assert runner.invoke(app, [*INIT, "--site", str(site)]).exit_code == 0
    result = runner.invoke(app, ["site", "render", "--site", str(site), "--out", str(tmp_path / "out")])
    assert result.exit_code == 78
    assert "[trunks] opsel" in result.output
    assert not (tmp_path / "out" / "pjsip_ec112.conf").exists()


@pytest.mark.parametrize(("document", "field"), [
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1; evil"]\n', "trunks[0].match[0]"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\nnumbers = ["112\\nexten => 1"]\n',
     "trunks[0].numbers[0]"),
    ('[[trunks]]\nname = "T;x"\nkind = "ip"\nmatch = ["10.0.0.1"]\n', "trunks[0].name"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\n', "trunks[0]"),
    ('[[trunks]]\nname = "t"\nkind = "register"\nserver = "sip.x.example"\n', "trunks[0]"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\n[[takers]]\nname = "a"\ndisplay_name = "A; b"\n',
     "takers[0].display_name"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\n[[takers]]\nname = "t"\n', "(file)"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\ncontact = "sip:x y"\n', "trunks[0].contact"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\n[network]\nbind = "nowhere"\n', "network"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\n[asterisk]\nsounds_dir = "/a;b"\n',
     "asterisk.sounds_dir"),
    ('[[trunks]]\nname = "t"\nkind = "ip"\nmatch = ["10.0.0.1"]\ntypo = 1\n', "trunks[0].typo"),
    ("trunks = []\n", "trunks"),
])
def test_a_bad_site_file_names_the_field(tmp_path: Path, document: str, field: str) -> None:
    site = tmp_path / "site.toml"
    site.write_text(document)
    with pytest.raises(SiteFileError) as error:
        load_site(site)
    assert f"  {field}: " in str(error.value)
    result = runner.invoke(app, ["site", "render", "--site", str(site), "--out", str(tmp_path / "out")])
    assert result.exit_code == 78
    assert field in result.output
    assert "Traceback" not in result.output


def test_a_broken_or_missing_site_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="not found"):
        load_site(tmp_path / "absent.toml")
    (tmp_path / "bad.toml").write_text("[[trunks]\n")
    with pytest.raises(SiteFileError, match=r"bad\.toml"):
        load_site(tmp_path / "bad.toml")


def test_init_refuses_to_overwrite_and_checks_its_flags(tmp_path: Path) -> None:
    site = _init(tmp_path)
    again = runner.invoke(app, [*INIT, "--site", str(site)])
    assert again.exit_code == 78
    assert "--force" in again.output
    bad = runner.invoke(app, ["site", "init", "--site", str(tmp_path / "b.toml"), "--ip-trunk", "x"])
    assert bad.exit_code == 78
    assert "NAME=VALUE" in bad.output
    bad_number = runner.invoke(app, ["site", "init", "--site", str(tmp_path / "c.toml"), "--ip-trunk", "x=10.0.0.1",
                                     "--numbers", "112;1", "--takers", "1"])
    assert bad_number.exit_code == 78
    assert "trunks[0].numbers[0]" in bad_number.output
    assert not (tmp_path / "c.toml").exists()


def test_tls_makes_the_softphones_use_tls_and_srtp(tmp_path: Path) -> None:
    site = _init(tmp_path, "--tls-cert", "/etc/asterisk/keys/ec112.crt", "--tls-key", "/etc/asterisk/keys/ec112.key")
    _render(site, tmp_path / "out")
    pjsip = (tmp_path / "out" / "pjsip_ec112.conf").read_text()
    assert "[ec112-tls]\ntype = transport\nprotocol = tls\nbind = 0.0.0.0:5061" in pjsip
    assert "cert_file = /etc/asterisk/keys/ec112.crt" in pjsip
    taker = pjsip.split("[ec112-taker-endpoint](!)", 1)[1].split("\n[", 1)[0]
    assert "transport = ec112-tls" in taker
    assert "media_encryption = sdes" in taker
    settings = tomllib.loads((tmp_path / "out" / "ec112.toml").read_text())
    assert settings["softphones"] == {**settings["softphones"], "server": "192.168.10.5:5061", "transport": "tls",
                                      "srtp": True}


@pytest.mark.parametrize(("version_line", "expected"), [("Asterisk 16.28.0~dfsg-0+deb11u4", 16),
                                                        ("Asterisk 22.5.2~dfsg+~cs6.15.60671435-1", 22),
                                                        (None, 22)])
def test_init_takes_the_installed_asterisks_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     version_line: str | None, expected: int) -> None:
    """Queue()'s gosub moved in 21: a site rendered for 22 on this host's 16 would misplace it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if version_line is not None:
        fake = bin_dir / "asterisk"
        fake.write_text(f"#!/bin/sh\necho '{version_line}'\n")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    site = tmp_path / "site.toml"
    result = runner.invoke(app, ["site", "init", "--site", str(site), "--ip-trunk", "telkom=10.1.1.1",
                                 "--takers", "2"])
    assert result.exit_code == 0, result.output
    assert f"version = {expected}\n" in site.read_text()
    assert ("not found here" in result.output) == (version_line is None)

"""A real site's configuration, included into an Asterisk that already runs other things (issue 17).

The site file (`ec112 site init`) has two trunks — one recognised by its address (127.0.0.2), one that Asterisk
registers to an operator's registrar (SIPp on 127.0.0.3, digest challenge, password from the secrets file) — and
17 call takers. `ec112 site render` writes the include files; the admin's own pjsip.conf, extensions.conf,
queues.conf, manager.conf, musiconhold.conf and geolocation.conf (their own endpoint, context and extension)
each get the one `#include` line it printed. A 112 call from each trunk then reaches a logged-in taker with
its ticket, and the admin's extension 500 still answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from harness import CitizenCall, SippProcess, TakerPhone
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import _DAEMON_KEY, _LAB_KEY
from harness.sipp import SIPP_DIR, free_udp_port

from ec112.config.settings_file import read_toml
from ec112.lab.asterisk import AsteriskFlavor, AsteriskProcess
from ec112.lab.render import LabConfig, new_lab_config, render

pytestmark = pytest.mark.integration

OPERATOR_USER, OPERATOR_PASSWORD = "ec112ppu", "operator-given-Pw1"
ADMIN_PJSIP = """; the admin's own PJSIP: a PBX next door, recognised by its address
[pbx-next-door]
type = endpoint
context = office
disallow = all
allow = alaw,ulaw
[pbx-next-door]
type = identify
endpoint = pbx-next-door
match = 127.0.0.4
"""
ADMIN_EXTENSIONS = """[general]
static = yes
writeprotect = yes

[office]
exten => 500,1,Answer()
 same => n,Playback({sounds}/id/connected)
 same => n,Hangup()
"""


def _ec112(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EC112_CONFIG": ""}
    return subprocess.run([sys.executable, "-m", "ec112", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@dataclass
class SiteLab:
    config: LabConfig  # ports, directories and the site's secrets, for the harness's daemon and phones
    process: AsteriskProcess
    workdir: Path
    settings: Path
    registrar: SippProcess
    render_output: str
    site_file: Path


def _admin_files(etc: Path, lines: dict[str, str], config: LabConfig) -> None:
    """The admin's existing files, each with the one line `ec112 site render` printed for it."""
    texts = {
        "pjsip.conf": ADMIN_PJSIP,
        "extensions.conf": ADMIN_EXTENSIONS.format(sounds=f"{config.asterisk_dir}/sounds"),
        "queues.conf": "[general]\npersistentmembers = yes\nautofill = yes\n\n[office-queue]\nstrategy = ringall\n",
        "manager.conf": f"[general]\nenabled = yes\nbindaddr = 127.0.0.1\nport = {config.ports.ami}\n",
        "musiconhold.conf": "[default]\nmode = playlist\nentry => /usr/share/asterisk/sounds/en/silence/10\n",
        "geolocation.conf": "",
    }
    for name, text in texts.items():
        (etc / name).write_text(f"{text}\n{lines[name]}\n")


@pytest.fixture
def site_lab(asterisk_flavor: AsteriskFlavor, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SiteLab]:
    if asterisk_flavor.chroot_root is not None:
        asterisk_flavor.lab_parent().mkdir(exist_ok=True)
        lab_dir = Path(tempfile.mkdtemp(prefix="ec112-site-", dir=asterisk_flavor.lab_parent()))
    else:
        lab_dir = tmp_path / "asterisk"
    config = new_lab_config(lab_dir, flavor=asterisk_flavor)
    render(config)  # the Asterisk itself (asterisk.conf, modules, logger, rtp, prompts); ec112's part comes next
    workdir = tmp_path / "sipp"
    workdir.mkdir()
    registrar_port = free_udp_port()
    registrar = SippProcess("registrar", [
        "-sf", str(SIPP_DIR / "uas_registrar.xml"), "-p", str(registrar_port), "-set", "user", OPERATOR_USER,
        "-set", "password", OPERATOR_PASSWORD, "-timeout", "120s"], workdir, local_ip="127.0.0.3")
    site_file, etc = tmp_path / "site" / "site.toml", lab_dir / "etc"
    init = _ec112("site", "init", "--site", str(site_file), "--ip-trunk", "ipop=127.0.0.2",
                  "--register-trunk", f"regop={OPERATOR_USER}@127.0.0.3:{registrar_port}", "--numbers", "112,0112",
                  "--takers", "17", "--bind", "127.0.0.1", "--port", str(config.ports.sip),
                  "--asterisk-version", asterisk_flavor.name, "--ami-port", str(config.ports.ami),
                  "--agi-port", str(config.ports.agi), "--sounds-dir", f"{config.asterisk_dir}/sounds",
                  "--recordings-dir", f"{config.asterisk_dir}/recordings")
    assert init.returncode == 0, init.stderr
    secrets_file = site_file.with_name("site.secrets.toml")
    text = secrets_file.read_text()
    secrets_file.write_text(text.replace("\n[trunks]", f'\n[trunks]\nregop = "{OPERATOR_PASSWORD}"'))
    done = _ec112("site", "render", "--site", str(site_file), "--out", str(etc / "site"),
                  "--asterisk-dir", f"{config.asterisk_dir}/etc/site")
    assert done.returncode == 0, done.stderr
    lines = dict(re.findall(r"^\s+(\S+\.conf)\s+(#include \"[^\"]+\")$", done.stdout, re.M))
    _admin_files(etc, lines, config)
    secrets = read_toml(secrets_file)
    config = replace(config, ami_secret=secrets["ami"]["secret"], endpoint_passwords=secrets["endpoints"])
    process = AsteriskProcess(asterisk_flavor, config.asterisk_conf)
    request.node.stash[_LAB_KEY] = (config, process)
    process.start()
    try:
        yield SiteLab(config, process, workdir, etc / "site" / "ec112.toml", registrar, done.stdout + done.stderr,
                      site_file)
    finally:
        process.stop()
        registrar.stop()
        if asterisk_flavor.chroot_root is not None and not getattr(request.node, "ec112_failed", False):
            shutil.rmtree(lab_dir, ignore_errors=True)


@pytest.fixture
def site_daemon(site_lab: SiteLab, tmp_path: Path, request: pytest.FixtureRequest,
                ec112_database_url: str | None) -> Iterator[Ec112Daemon]:
    """`ec112 serve` reading the settings file `ec112 site render` wrote (the harness adds the test's ports)."""
    daemon = Ec112Daemon(site_lab.config, tmp_path / "ec112", database_url=ec112_database_url,
                         extra_env={"EC112_CONFIG": str(site_lab.settings)})
    request.node.stash[_DAEMON_KEY] = daemon
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def _wait_registered(lab: SiteLab, timeout: float = 15.0) -> str:
    deadline, out = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        out = lab.process.rx("pjsip show registrations")
        if re.search(r"regop-reg/\S+\s+regop-auth\s+Registered", out):
            return out
        time.sleep(0.2)
    raise AssertionError(f"regop never registered:\n{out}\n{lab.registrar.diagnostics()}")


def _registered_contact(lab: SiteLab) -> str:
    """The contact Asterisk registered at the operator (what the operator sends its calls to)."""
    text = lab.registrar.message_file.read_text(errors="replace")
    contacts = re.findall(r"^\s*Contact:\s*<(sip:[^>]+)>", text, re.M)
    assert contacts, text
    return contacts[-1]


def _ended(count: int) -> Any:
    return lambda tickets: len(tickets) >= count and all(t["ended_at"] for t in tickets[:count])


def test_a_site_with_two_trunks_fits_into_an_existing_asterisk(site_lab: SiteLab, site_daemon: Ec112Daemon) -> None:
    out = site_lab.render_output
    assert "#include" in out
    assert site_lab.config.ami_secret not in out
    assert all(pw not in out for pw in site_lab.config.endpoint_passwords.values())
    assert OPERATOR_PASSWORD not in out
    _wait_registered(site_lab)
    contact = _registered_contact(site_lab)
    assert contact.startswith("sip:112@127.0.0.1:")
    assert ";line=" in contact
    endpoints = site_lab.process.rx("pjsip show endpoints")
    assert all(f"taker{n:02d}" in endpoints for n in range(1, 18)), endpoints
    assert "pbx-next-door" in endpoints  # the admin's own endpoint is still there

    phone = TakerPhone("taker07", site_lab.config.endpoint_passwords["taker07"], site_lab.config.ports.sip,
                       site_lab.workdir, ring_ms=200, talk_ms=800, max_calls=2)
    try:
        phone.register()
        assert site_daemon.cli_json("agent", "login", "taker07")["changed"] is True
        by_ip = CitizenCall(site_lab.config.ports.sip, site_lab.workdir, name="by-ip", local_ip="127.0.0.2",
                            caller_number="081111000111", exten="0112")
        assert by_ip.wait(timeout=30) == 0, by_ip.diagnostics()
        registered = CitizenCall(site_lab.config.ports.sip, site_lab.workdir, name="by-registration",
                                 local_ip="127.0.0.3", caller_number="082222000222", request_uri=contact)
        assert registered.wait(timeout=30) == 0, registered.diagnostics()
        assert phone.wait(timeout=10) == 0
        _tickets_office_and_doctor(site_lab, site_daemon)
    finally:
        phone.stop()


def _tickets_office_and_doctor(site_lab: SiteLab, site_daemon: Ec112Daemon) -> None:
    tickets = site_daemon.wait_for_tickets(_ended(2))
    assert [t["caller_number_raw"] for t in tickets] == ["081111000111", "082222000222"]
    assert all(t["answered_by"] == "taker07" and t["outcome"] == "answered" for t in tickets), tickets
    assert all(t["intake"] == "agi" for t in tickets)

    # the admin's own extension answers as before: a call from the PBX next door to 500
    office = CitizenCall(site_lab.config.ports.sip, site_lab.workdir, name="office", local_ip="127.0.0.4",
                         caller_number="2001", exten="500", wait_for_bye_ms=30000)
    assert office.wait(timeout=40) == 0, office.diagnostics()
    assert len(site_daemon.get("/api/tickets")) == 2  # and it is no 112 call: no ticket

    # `ec112 doctor` with the settings file `ec112 site render` wrote (taker07's phone still up): all is well
    doctor = site_daemon.cli("doctor", "--json", check=False)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    # ... and its site rows checked this Asterisk against the site file ([site] file in that settings file)
    rows = {row["name"]: row for row in json.loads(doctor.stdout)}
    assert {name: rows[name]["status"] for name in ("includes", "endpoints", "trunks", "members")} == dict.fromkeys(
        ("includes", "endpoints", "trunks", "members"), "ok"), rows
    assert rows["trunks"]["detail"] == "trunk OK: ipop (ip), regop (register)"
    _doctor_names_a_taker_asterisk_lacks(site_lab, site_daemon)


def _doctor_names_a_taker_asterisk_lacks(site_lab: SiteLab, site_daemon: Ec112Daemon) -> None:
    """A site file edited (taker18 added) but not rendered and reloaded: doctor exits 1 and names taker18."""
    site = read_toml(site_lab.site_file)
    site["takers"] = [*site["takers"], {"name": "taker18"}]
    edited = site_lab.site_file.with_name("edited.toml")
    edited.write_text(tomli_w.dumps(site))
    doctor = subprocess.run([sys.executable, "-m", "ec112", "doctor", "--json"], capture_output=True, text=True,
                            env={**site_daemon.env, "EC112_SITE__FILE": str(edited)}, timeout=60, check=False)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    rows = {row["name"]: row for row in json.loads(doctor.stdout)}
    assert rows["endpoints"]["status"] == "fail", rows["endpoints"]
    assert rows["endpoints"]["detail"] == "tidak ada / missing: taker18"
    assert "pjsip_ec112.conf" in rows["endpoints"]["fix"]
    assert all(rows[name]["status"] == "ok" for name in ("includes", "trunks", "members")), rows

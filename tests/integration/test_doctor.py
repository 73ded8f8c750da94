"""`ec112 doctor` against a real Asterisk: what a telephony admin sees, and the exit code scripts rely on."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

from conftest import Lab
from ec112.config.local_token import read_cli_token

pytestmark = pytest.mark.integration

NAMES = ["settings", "ami", "dialplan", "queue", "wrapup", "fastagi", "database", "daemon", "disk-recordings",
         "disk-database"]


def doctor_json(daemon: Ec112Daemon) -> tuple[int, dict[str, dict[str, Any]]]:
    result = daemon.cli("doctor", "--json", check=False)
    assert result.returncode in (0, 1), f"{result.returncode}\n{result.stdout}\n{result.stderr}"
    checks = json.loads(result.stdout)
    assert [c["name"] for c in checks] == NAMES
    return result.returncode, {c["name"]: c for c in checks}


def api(daemon: Ec112Daemon, path: str) -> Any:
    """GET as the local CLI does (with the daemon's CLI token when it requires one)."""
    token = read_cli_token(daemon.var_dir)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{daemon.base_url}{path}", headers=headers, timeout=5)
    response.raise_for_status()
    return response.json()


def doctor_table(daemon: Ec112Daemon) -> subprocess.CompletedProcess[str]:
    return daemon.cli("doctor", check=False)


def test_everything_ok_when_ec112_runs(ec112: Ec112Daemon, asterisk: Lab,
                                      taker: Callable[..., TakerPhone]) -> None:
    # A queue with a member whose phone cannot ring is not OK (no 112 call could reach anyone) ...
    asterisk.rx("queue add member PJSIP/taker01 to 112")
    code, checks = doctor_json(ec112)
    assert (code, checks["queue"]["status"]) == (1, "fail")
    assert "phones unreachable: PJSIP/taker01" in checks["queue"]["detail"]
    # ... a staffed queue is: taker01's phone registers and answers Asterisk's qualify. No warning left.
    taker("taker01")
    deadline = time.monotonic() + 10
    while "Unavailable" in asterisk.rx("queue show 112") and time.monotonic() < deadline:
        time.sleep(0.2)

    table = doctor_table(ec112)
    assert table.returncode == 0, table.stdout + table.stderr
    assert "Semua pemeriksaan wajib lulus / all required checks passed" in table.stdout
    assert "Perbaikan / what to fix" not in table.stdout

    code, checks = doctor_json(ec112)
    assert code == 0
    expected = dict.fromkeys(NAMES, "ok")
    if ec112.env.get("EC112_DATABASE__URL", "").startswith("postgresql"):
        expected["disk-database"] = "skip"  # the database server's disk is not this host's to measure
    assert {name: c["status"] for name, c in checks.items()} == expected
    assert all(c["ok"] and c["fix"] == "" for c in checks.values() if c["status"] == "ok")
    agi = f"agi://127.0.0.1:{asterisk.config.ports.agi}"
    assert checks["ami"]["detail"].startswith(f"login OK on 127.0.0.1:{asterisk.config.ports.ami} (Asterisk ")
    assert checks["dialplan"]["detail"] == f"ec112-emergency: AGI {agi}/intake, Queue(112)"
    assert checks["queue"]["detail"] == "queue 112: 1 anggota / members, 0 dijeda / paused"
    assert checks["wrapup"]["detail"] == (f"queues.conf [112] wrapuptime = 5 ({asterisk.config.queues_conf}) = "
                                          "[callcenter] wrapup_seconds = 5")
    assert checks["fastagi"]["detail"] == f"Asterisk → {agi}: ec112 menjawab / answered (ping)"
    assert "(head)" in checks["database"]["detail"]
    assert "ec112 serve berjalan / running" in checks["daemon"]["detail"]
    assert checks["disk-recordings"]["detail"].endswith("(minimum 2048 MB)")  # [operations] min_free_disk_mb
    for name in ("ami", "dialplan", "queue", "fastagi"):  # the table shows what --json says
        assert checks[name]["detail"] in table.stdout

    # Two probes went through Asterisk to ec112's FastAGI: neither is a ticket nor a call.
    assert api(ec112, "/api/tickets") == []
    assert api(ec112, "/api/calls") == []
    assert all(period["offered"] == 0 for period in api(ec112, "/api/kpis"))
    deadline = time.monotonic() + 5
    while "ec112-doctor" in asterisk.rx("core show channels concise"):  # the probe channels end by themselves
        assert time.monotonic() < deadline, asterisk.rx("core show channels concise")
        time.sleep(0.1)


@pytest.mark.ec112_not_started
def test_fastagi_fails_with_a_clear_hint_while_ec112_is_not_running(ec112: Ec112Daemon) -> None:
    code, checks = doctor_json(ec112)
    assert code == 1
    for name in ("settings", "ami", "dialplan"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["queue"]["status"] == "warn"  # exists, nobody logged in
    assert checks["database"]["status"] == "warn"  # never started: not created yet (and not by the doctor)
    assert "belum dibuat / not created yet" in checks["database"]["detail"]
    fastagi = checks["fastagi"]
    assert fastagi["status"] == "fail"
    assert fastagi["required"] is True
    assert "nothing answers on agi://127.0.0.1:" in fastagi["detail"]
    assert "is ec112 running?" in fastagi["detail"]
    assert "ec112 serve" in fastagi["fix"]
    assert checks["daemon"]["status"] == "warn"
    assert checks["daemon"]["required"] is False

    table = doctor_table(ec112)
    assert table.returncode == 1
    assert "is ec112 running?" in table.stdout
    assert "Gagal / failed: fastagi" in table.stdout

    ec112.start()  # the admin starts ec112: the same doctor now passes
    code, checks = doctor_json(ec112)
    assert code == 0
    assert checks["fastagi"]["status"] == "ok"
    assert checks["database"]["status"] == "ok"

    ec112.stop()  # and stops it again: the database stays fine, the intake path does not
    code, checks = doctor_json(ec112)
    assert code == 1
    assert checks["fastagi"]["status"] == "fail"
    assert checks["database"]["status"] == "ok"


@pytest.mark.ec112_not_started
def test_wrong_ami_secret_and_stopped_asterisk_are_told_apart(ec112: Ec112Daemon, asterisk: Lab) -> None:
    ec112.env["EC112_AMI__SECRET"] = "not-the-secret"
    code, checks = doctor_json(ec112)
    assert code == 1
    ami = checks["ami"]
    assert ami["status"] == "fail"
    assert "refused the login" in ami["detail"]
    assert "make EC112_AMI__SECRET and the secret of the [ec112] account in" in ami["fix"]  # where it was set
    assert "manager.conf" in ami["fix"]
    assert [checks[n]["status"] for n in ("dialplan", "queue", "fastagi")] == ["skip"] * 3
    table = doctor_table(ec112)
    assert table.returncode == 1
    assert "not-the-secret" not in table.stdout + table.stderr

    asterisk.process.stop()
    code, checks = doctor_json(ec112)
    assert code == 1
    assert checks["ami"]["status"] == "fail"
    assert f"unreachable at 127.0.0.1:{asterisk.config.ports.ami}" in checks["ami"]["detail"]
    assert "Asterisk" in checks["ami"]["fix"]
    assert "bindaddr" in checks["ami"]["fix"]


@pytest.mark.ec112_not_started
def test_a_queue_asterisk_does_not_have_fails(ec112: Ec112Daemon) -> None:
    ec112.env["EC112_CALLCENTER__QUEUE"] = "999"
    code, checks = doctor_json(ec112)
    assert code == 1
    queue = checks["queue"]
    assert queue["status"] == "fail"
    assert "999" in queue["detail"]
    assert "queues.conf" in queue["fix"]
    dialplan = checks["dialplan"]  # and the 112 dialplan queues into 112, not 999
    assert dialplan["status"] == "fail"
    assert "[callcenter] queue = 999" in dialplan["detail"]
    assert checks["ami"]["status"] == "ok"


@pytest.mark.ec112_not_started
def test_a_wrapup_other_than_asterisks_warns_and_an_unreadable_queues_conf_is_unknown(ec112: Ec112Daemon) -> None:
    ec112.env["EC112_CALLCENTER__WRAPUP_SECONDS"] = "9"
    _, checks = doctor_json(ec112)
    wrapup = checks["wrapup"]
    assert (wrapup["status"], wrapup["required"]) == ("warn", False)
    assert "wrapuptime = 5" in wrapup["detail"]
    assert "[callcenter] wrapup_seconds = 9" in wrapup["detail"]
    assert "queue reload parameters" in wrapup["fix"]

    ec112.env["EC112_CALLCENTER__QUEUES_CONF"] = str(ec112.workdir / "not-readable" / "queues.conf")
    _, checks = doctor_json(ec112)
    assert (checks["wrapup"]["status"], checks["wrapup"]["required"]) == ("skip", False)
    assert "cannot read" in checks["wrapup"]["detail"]
    assert checks["queue"]["status"] == "warn"  # the AMI checks are unaffected


def test_an_asterisk_that_cannot_record_still_answers_112_and_the_doctor_says_so(
        ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
        citizen_call: Callable[..., CitizenCall]) -> None:
    # An admin's Asterisk without app_mixmonitor: MixMonitor() would be an unknown application, which hangs the
    # call up. The dialplan skips it instead: the 112 call is queued, answered and ticketed, unrecorded.
    asterisk.rx("module unload app_mixmonitor.so")
    assert "0 modules loaded" in asterisk.rx("module show like app_mixmonitor")
    taker("taker01", ring_ms=200, talk_ms=1500)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number="+6281200000077")
    assert call.wait(timeout=40) == 0, call.diagnostics()
    deadline = time.monotonic() + 20
    while not (tickets := api(ec112, "/api/tickets")) or not tickets[0]["ended_at"]:
        assert time.monotonic() < deadline, tickets
        time.sleep(0.3)
    assert (tickets[0]["outcome"], tickets[0]["answered_by"]) == ("answered", "taker01")

    result = ec112.cli("doctor", "--json", check=False)
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert result.returncode == 0, result.stdout  # a warning: calls go through
    assert checks["fastagi"]["status"] == "ok"
    assert checks["recorder"]["status"] == "warn"
    assert "112 calls are not recorded" in checks["recorder"]["detail"]
    assert "load => app_mixmonitor.so" in checks["recorder"]["fix"]

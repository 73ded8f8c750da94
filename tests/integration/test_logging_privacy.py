"""What ec112 writes to its log, and what its AMI account may do.

Caller numbers and locations are personal data (UU 27/2022). The promise (README, "Configuration"; settings
``log_personal_data``): they are never logged at INFO unless ``log_personal_data = true``. Tested with a real
112 call carrying a caller number and a PIDF-LO location, answered by a call taker, and a web login with a
known password (and a wrong one): at INFO the log holds neither the number in any common form, nor the
coordinates, nor the passwords, nor the AMI secret, nor the CLI token; with ``log_personal_data`` on, the number
and the location are there (the switch works, and the first run's log did cover the call).
At DEBUG the AGI environment (caller number included) is logged whatever the switch: DEBUG is a diagnostic
level outside the promise, so it is not tested here.

The AMI account's classes are least privilege: the exact lists are asserted, so widening them is a deliberate
change of this test (asterisk-conf/manager.conf explains each class).
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from harness import CitizenCall, PidfPoint, TakerPhone
from harness.daemon import Ec112Daemon

from conftest import Lab

pytestmark = [pytest.mark.integration, pytest.mark.ec112_not_started]
CALLER = "+6281298765431"
# the number as people and systems write it: E.164, without +, national (0…), the subscriber part, grouped
CALLER_FORMS = ("+6281298765431", "6281298765431", "081298765431", "81298765431", "0812-9876-5431",
                "0812 9876 5431", "+62 812-9876-5431", "+62 812 9876 5431")
LOCATION = PidfPoint(lat=-7.250445, lon=112.768845)  # Surabaya
COORDINATES = ("7.2504", "112.7688")  # any rendering with 4+ decimals contains these
PASSWORD = "Kata-Sandi-Rahasia-7741"  # looked for in the log
WRONG_PASSWORD = "Salah-Ketik-Sandi-9913"
AMI_READ = {"system", "call", "agent", "user", "dtmf"}  # dtmf: a silent caller's keys
AMI_WRITE = {"call", "agent", "reporting", "originate", "message"}  # no system/config: GetConfig reads manager.conf


def _add_user(ec112: Ec112Daemon, username: str, password: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ec112", "user", "add", username, "--role", "call_taker", "--endpoint", "taker01",
         "--password-stdin"], env=ec112.env, input=password + "\n", capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def _web_login(ec112: Ec112Daemon, username: str, password: str) -> int:
    with httpx.Client(base_url=ec112.base_url, timeout=10) as browser:
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, form.text
        response = browser.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token[1], "next": "/"})
        return response.status_code


def _answered_call_with_location(ec112: Ec112Daemon, taker: Callable[..., TakerPhone],
                                 citizen_call: Callable[..., CitizenCall], name: str) -> str:
    """A 112 call with CALLER and LOCATION, answered by taker01 and ended; then ec112 stops: its whole log."""
    phone = taker("taker01", ring_ms=200, talk_ms=1000, max_calls=1)
    response = httpx.post(f"{ec112.base_url}/api/agents/taker01/login", headers=ec112.auth_headers(), timeout=10)
    assert response.status_code == 200, response.text
    call = citizen_call(caller_number=CALLER, caller_name="Warga Privasi", location=LOCATION, name=name)
    assert call.wait(timeout=30) == 0, call.diagnostics()
    phone.stop()
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=15)
    assert (ticket["caller_number"], ticket["answered_by"]) == (CALLER, "taker01")
    assert ticket["location"] is not None  # the location really went through ec112
    assert (round(ticket["location"]["lat"], 6), round(ticket["location"]["lon"], 6)) == (LOCATION.lat, LOCATION.lon)
    ec112.stop()  # everything flushed
    return ec112.log_path.read_text(errors="replace")


def test_info_log_holds_no_personal_data_nor_secrets(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
) -> None:
    ec112.env.update({"EC112_LOG_LEVEL": "INFO"})
    ec112.start()
    _add_user(ec112, "siti", PASSWORD)
    assert _web_login(ec112, "siti", WRONG_PASSWORD) == 401
    assert _web_login(ec112, "siti", PASSWORD) == 303
    cli_token = (ec112.var_dir / "cli-token").read_text().strip()
    log = _answered_call_with_location(ec112, taker, citizen_call, "privasi1")

    assert re.search(r"ticket 112-\d{6}-\d{5} opened by agi intake with location", log), log  # the call is there
    leaks = [form for form in CALLER_FORMS if form in log] + [c for c in COORDINATES if c in log]
    leaks += [name for name, secret in (("password", PASSWORD), ("wrong password", WRONG_PASSWORD),
                                        ("AMI secret", asterisk.config.ami_secret), ("CLI token", cli_token))
              if secret in log]
    assert not leaks, f"the INFO log holds {leaks}:\n{log}"


def test_log_personal_data_puts_the_caller_and_location_in_the_info_log(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
) -> None:
    ec112.env.update({"EC112_LOG_LEVEL": "INFO", "EC112_LOG_PERSONAL_DATA": "true"})
    ec112.start()
    log = _answered_call_with_location(ec112, taker, citizen_call, "privasi2")
    assert CALLER in log, log
    assert all(c in log for c in COORDINATES), log
    assert asterisk.config.ami_secret not in log  # secrets never, whatever the switch


def test_the_ami_account_has_only_the_classes_ec112_needs(asterisk: Lab) -> None:
    rendered = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    etc = asterisk.config.directory / "etc"
    rendered.read_string((etc / "manager.conf").read_text() + (etc / "ec112" / "manager_ec112.conf").read_text())
    assert rendered.sections() == ["general", "ec112"]  # one account (the include file's)
    account = rendered["ec112"]
    assert set(account["read"].replace(" ", "").split(",")) == AMI_READ
    assert set(account["write"].replace(" ", "").split(",")) == AMI_WRITE
    assert (account["deny"], account["permit"]) == ("0.0.0.0/0.0.0.0", "127.0.0.1/255.255.255.255")
    assert rendered["general"]["bindaddr"] == "127.0.0.1"

    # and what Asterisk itself made of it (what it enforces)
    shown = asterisk.rx("manager show user ec112")
    perms = dict(re.findall(r"^\s*(read|write) perm: (.*)$", shown, re.MULTILINE))
    assert set(perms["read"].strip().split(",")) == AMI_READ, shown
    assert set(perms["write"].strip().split(",")) == AMI_WRITE, shown
    assert re.search(r"^\s*1 manager users? configured", asterisk.rx("manager show users"), re.MULTILINE)

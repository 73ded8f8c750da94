"""The call of `make docker-test` (scripts/docker-test.sh): ONE SIPp 112 call through the containers.

Run on the host (the project's venv) once docker/compose.yaml is up with --network host: waits until the compose's
own health checks pass (run with `podman healthcheck run`: without systemd podman runs no health timers), registers
call taker taker01 (its password as the Asterisk container generated it), logs it in with the CLI inside the ec112
container, places a 112 call with a GPS location from the trunk, and checks what a user would see: the ticket in
`ec112 tickets list` (answered by taker01, caller number, location), the same ticket in the PostgreSQL container,
and its recording sealed (the recordings volume is shared by Asterisk and ec112). The SIPp phones are the
integration tests' own (tests/integration/harness).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from harness import CitizenCall, PidfPoint, TakerPhone  # noqa: E402  (the test harness, not an installed package)

EC112, ASTERISK, POSTGRES = "ec112", "ec112-asterisk", "ec112-postgres"


def podman(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def in_ec112(*args: str) -> Any:
    return json.loads(podman("exec", EC112, "ec112", *args, "--json").stdout)


def wait_healthy(timeout: float) -> float:
    """Seconds until all three containers' health checks (the compose's) pass."""
    started = time.monotonic()
    pending = {POSTGRES, ASTERISK, EC112}
    while pending:
        for name in sorted(pending):
            if podman("healthcheck", "run", name, check=False).returncode == 0:
                pending.discard(name)
        if pending and time.monotonic() - started > timeout:
            raise AssertionError(f"not healthy after {timeout:.0f} s: {', '.join(sorted(pending))}")
        time.sleep(1)
    return time.monotonic() - started


def main() -> None:
    sip_port, web_port = int(os.environ["EC112_SIP_PORT"]), int(os.environ["EC112_WEB_PORT"])
    print(f"healthy (postgres, asterisk, ec112 /readyz) after {wait_healthy(180):.1f} s", flush=True)
    base = f"http://127.0.0.1:{web_port}"
    assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    token = podman("exec", EC112, "cat", "/var/lib/ec112/cli-token").stdout.strip()
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    passwords = dict(line.split() for line in
                     podman("exec", ASTERISK, "cat", "/srv/asterisk/db/sip-passwords").stdout.splitlines())
    with tempfile.TemporaryDirectory(prefix="ec112-docker-") as work:
        phone = TakerPhone("taker01", passwords["taker01"], sip_port, Path(work), ring_ms=300, talk_ms=1500,
                           max_calls=1)
        try:
            phone.register()
            login = in_ec112("agent", "login", "taker01")
            assert login == {"endpoint": "taker01", "queue": "112", "changed": True}, login
            call = CitizenCall(sip_port, Path(work), caller_number="081234567890", caller_name="Budi Santoso",
                               location=PidfPoint(-1.2379, 116.8529, method="GPS"))
            assert call.wait(timeout=40) == 0, call.diagnostics()
            assert len(phone.invites()) == 1
        finally:
            phone.stop()
    deadline = time.monotonic() + 20
    while not (tickets := in_ec112("tickets", "list")) or tickets[0]["ended_at"] is None:
        assert time.monotonic() < deadline, f"no ended ticket: {tickets}"
        time.sleep(0.3)
    [ticket] = tickets
    expected = {"caller_number": "+6281234567890", "caller_name": "Budi Santoso", "outcome": "answered",
                "answered_by": "taker01", "intake": "agi"}
    assert {k: ticket[k] for k in expected} == expected, ticket
    assert ticket["location"]["source"] == "pidf-lo", ticket
    assert abs(ticket["location"]["lat"] + 1.2379) < 1e-6, ticket
    assert api.get(f"/api/tickets/{ticket['id']}").json()["number"] == ticket["number"]
    stored = podman("exec", POSTGRES, "psql", "-U", "ec112", "-d", "ec112", "-tAc",
                    "SELECT id, answered_by, caller_number_e164 FROM tickets").stdout.strip()
    assert stored == f"{ticket['id']}|taker01|+6281234567890", f"PostgreSQL holds {stored!r}"
    deadline = time.monotonic() + 25
    while (info := api.get(f"/api/tickets/{ticket['number']}/recording/info").json())["state"] != "sealed":
        assert time.monotonic() < deadline, f"recording never sealed: {info}"
        time.sleep(0.5)
    assert info["size_bytes"] > 44, info  # more than a WAV header: Asterisk wrote it, ec112 hashed it
    print(f"ticket {ticket['number']}: answered by taker01, location {ticket['location']['lat']}, "
          f"{ticket['location']['lon']}, in PostgreSQL, recording sealed ({info['size_bytes']} bytes)")


if __name__ == "__main__":
    main()

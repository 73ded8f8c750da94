"""Drills on real Asterisk: only the `drill` endpoint's calls are exercises (docs/room.md C).

(a) ec112 running: a call from the drill endpoint (digest auth, the scenario's number as P-Asserted-Identity)
opens an exercise ticket through the same 112 entry; a citizen's trunk call opens a real one; a trunk INVITE
pretending to be `drill` is refused by the endpoint's auth; the live KPIs count only the real call.
(b) ec112 down: the same two calls are ticketed by the backfill from the CDR's accountcode, exercise and real.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness.audio import make_tone_wav
from harness.daemon import Ec112Daemon
from harness.softphone import Softphone

from conftest import Lab

pytestmark = pytest.mark.integration

DRILL_NUMBER = "081255500101"
CITIZEN_NUMBER = "081255500999"


def drill_phone(lab: Lab, number: str) -> Softphone:
    """A drill caller as `ec112 drill run` places it: registered as `drill`, its number in PAI."""
    phone = Softphone(f"drill-{number}", "drill", lab.sip_port, lab.workdir / "softphones",
                      password=lab.config.endpoint_passwords["drill"])
    phone._pai = f"<sip:{number}@127.0.0.1>"
    return phone


def call_and_hang_up(phone: Softphone, tone: Path, seconds_in_queue: float = 1.5) -> None:
    phone.call("112", play=tone)
    phone.wait_for("confirmed", timeout=10)  # the 112 entry answers before the queue
    time.sleep(seconds_in_queue)
    phone.hangup()
    phone.wait_for("disconnected", timeout=10)


def by_number(tickets: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {t["caller_number_raw"]: t for t in tickets}


def test_only_the_drill_endpoint_makes_an_exercise_ticket_and_kpis_leave_it_out(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    tone = make_tone_wav(tmp_path / "440.wav", 440, 1.0)
    before = {k["period"]: k["offered"] for k in ec112.get("/api/kpis")}
    call_and_hang_up(drill_phone(asterisk, DRILL_NUMBER), tone)
    call_and_hang_up(Softphone.citizen(asterisk, number=CITIZEN_NUMBER), tone)

    # A carrier-side INVITE with From user "drill" but no credentials: the endpoint's auth refuses it.
    impostor = Softphone("impostor", "drill", asterisk.sip_port, asterisk.workdir / "softphones")
    impostor._pai = "<sip:081255500666@127.0.0.1>"
    impostor.call("112", play=tone)
    refused = impostor.wait_for("disconnected", timeout=10)
    assert refused["status_code"] in (401, 403, 407), refused

    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["ended_at"] for t in ts), timeout=15)
    found = by_number(tickets)
    assert set(found) == {DRILL_NUMBER, CITIZEN_NUMBER}, "the impostor got no ticket"
    assert found[DRILL_NUMBER]["exercise"] is True
    assert found[DRILL_NUMBER]["intake"] == "agi"
    assert found[CITIZEN_NUMBER]["exercise"] is False
    after = {k["period"]: k["offered"] for k in ec112.get("/api/kpis")}
    assert after == {period: n + 1 for period, n in before.items()}, "only the real call counts"


@pytest.mark.ec112_not_started
def test_with_ec112_down_the_backfill_reads_the_exercise_from_the_cdr(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    tone = make_tone_wav(tmp_path / "440.wav", 440, 1.0)
    call_and_hang_up(drill_phone(asterisk, DRILL_NUMBER), tone, seconds_in_queue=1.0)
    call_and_hang_up(Softphone.citizen(asterisk, number=CITIZEN_NUMBER), tone, seconds_in_queue=1.0)
    lines = asterisk.config.cdr_csv.read_text().splitlines()
    assert any(line.endswith('"ec112-exercise"') for line in lines), lines

    ec112.start()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2, timeout=20)
    found = by_number(tickets)
    assert [t["intake"] for t in tickets] == ["backfill", "backfill"]
    assert found[DRILL_NUMBER]["exercise"] is True
    assert found[CITIZEN_NUMBER]["exercise"] is False


def test_ec112_drill_run_places_the_scenario_with_its_location_and_reports_it(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    scenario = tmp_path / "satu.toml"
    scenario.write_text('name = "Satu panggilan"\n[[call]]\nat_seconds = 0\ncaller = "081255500777"\n'
                        "hangup_after_seconds = 3\nlocation = { lat = -1.1178021, lon = 116.523176, radius = 40 }\n"
                        'audio = { text = "Tolong, rumah terbakar", lang = "id" }\n'
                        '[call.expect]\nclassification = "darurat"\ncategory = "kebakaran"\nagencies = ["damkar"]\n')
    ran = ec112.cli("drill", "run", str(scenario), "--sip-port", str(asterisk.sip_port),
                    "--password", asterisk.config.endpoint_passwords["drill"])
    assert "call 1: placed" in ran.stdout
    drill_id = int(ran.stdout.split("drill ", 1)[1].split(":", 1)[0])
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=15)
    assert (ticket["exercise"], ticket["intake"], ticket["caller_number_raw"]) == (True, "agi", "081255500777")
    location = ticket["location"]
    assert location is not None, "the PIDF-LO the drill caller sent"
    assert (round(location["lat"], 5), round(location["lon"], 5), location["radius_m"]) == (-1.1178, 116.52318, 40)
    report = ec112.get(f"/api/drills/{drill_id}/report")
    assert report["drill"]["ended_at"] is not None
    [call] = report["calls"]
    assert (call["ticket"], call["taker"], call["answer_seconds"]) == (ticket["number"], None, None)
    assert report["unanswered"] == 1
    shown = ec112.cli("drill", "report", str(drill_id)).stdout
    assert "LATIHAN" in shown
    assert ticket["number"] in shown

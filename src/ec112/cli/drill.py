"""`ec112 drill run FILE` and `ec112 drill report ID` (issue 14, docs/room.md C).

`run` checks the scenario (a bad file: every problem, exit 78), renders text audio with espeak-ng (8 kHz mono, like
the prompts), registers the run with the daemon over the JSON API, and places the calls through Asterisk from the
`drill` endpoint with pjsua2 callers (their locations as PIDF-LO, like a carrier) in a process of their own
(``ec112.lab.drill_caller``), telling the daemon each placed call. `report` prints the drill report (the page:
/drills/ID/report).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ec112.cli.api_client import api_url, call
from ec112.config.exit_codes import EX_CONFIG
from ec112.domain.drills import DrillCall, ScenarioError, parse_scenario
from ec112.resources import ShippedDirMissingError, shipped_dir

app = typer.Typer(help="Latihan / drills: scenario calls flagged as exercise end to end.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
EXIT_CALLERS = 70  # the callers' process failed (pjsua2 missing, Asterisk unreachable …)


def _scenario_path(file: Path) -> Path:
    """``file`` itself, or for a bare name that is not a file here the shipped scenario of that name (drills/ of
    the checkout or the installed package): a wheel install has no drills/ directory of its own."""
    if file.exists() or file.parent != Path():
        return file
    try:
        shipped = shipped_dir("drills") / f"{file.name.removesuffix('.toml')}.toml"
    except ShippedDirMissingError:
        return file
    return shipped if shipped.is_file() else file


@app.command("run")
def run(file: Annotated[Path, typer.Argument(help="Scenario (TOML), e.g. drills/penajam-house-fire.toml, or the "
                                                 "name of a shipped one (penajam-house-fire)")],
        api: ApiOption = None,
        sip_host: Annotated[str, typer.Option("--sip-host", envvar="EC112_DRILL_SIP_HOST")] = "127.0.0.1",
        sip_port: Annotated[int, typer.Option("--sip-port", envvar="EC112_DRILL_SIP_PORT")] = 5060,
        endpoint: Annotated[str, typer.Option("--endpoint", envvar="EC112_DRILL__ENDPOINT")] = "drill",
        password: Annotated[str, typer.Option("--password", envvar="EC112_DRILL_PASSWORD",
                                              help="the drill endpoint's SIP password")] = "") -> None:
    """Run a drill: place the scenario's calls (LATIHAN) and register them with ec112."""
    file = _scenario_path(file)
    try:
        text = file.read_text(encoding="utf-8")
        scenario = parse_scenario(text)
    except OSError as exc:
        err.print(f"[red]{file}: {exc.strerror or exc}[/red]")
        raise typer.Exit(EX_CONFIG) from None
    except ScenarioError as exc:
        err.print(f"[red]{file}: not a drill scenario[/red]")
        for problem in exc.problems:
            err.print(f"  - {escape(problem)}")  # "[call.expect]" is not rich markup
        raise typer.Exit(EX_CONFIG) from None
    if scenario.queue != "real":
        # The dialplan sends the drill endpoint's calls into the 112 entry's own queue (asterisk-conf ec112-drill);
        # a separate training queue is not built yet: refuse rather than ring the real room unannounced.
        err.print(f"[red]{file}: queue {scenario.queue!r}: only 'real' is supported so far[/red]")
        raise typer.Exit(EX_CONFIG)
    if not password:
        err.print("[red]the drill endpoint's password is needed:[/red] --password or EC112_DRILL_PASSWORD")
        raise typer.Exit(EX_CONFIG)
    base = api_url(api)
    with tempfile.TemporaryDirectory(prefix="ec112-drill-") as scratch:
        wavs = [_audio(c, file.parent, Path(scratch) / f"call-{i}.wav") for i, c in enumerate(scenario.calls)]
        drill = call("POST", base, "/api/drills", json={"scenario": text})
        out.print(f"LATIHAN · drill {drill['id']}: {scenario.name} — {len(scenario.calls)} calls, "
                  f"about {scenario.duration_seconds:.0f} s")
        plan = {"host": sip_host, "port": sip_port, "user": endpoint, "password": password,
                "calls": [{"position": i, "at": c.at_seconds, "caller": c.caller, "wav": wavs[i],
                           "hangup_after": c.hangup_after_seconds,
                           **({"lat": c.location.lat, "lon": c.location.lon, "radius": c.location.radius}
                              if c.location else {})} for i, c in enumerate(scenario.calls)]}
        failed = _place(plan, base, int(drill["id"]))
        call("POST", base, f"/api/drills/{drill['id']}/end")
    out.print(f"report: ec112 drill report {drill['id']}  ·  /drills/{drill['id']}/report")
    if failed:
        raise typer.Exit(EXIT_CALLERS)


def _audio(c: DrillCall, base: Path, target: Path) -> str:
    if c.audio_file is not None:
        path = (base / c.audio_file).resolve()
        if not path.is_file():
            err.print(f"[red]audio file not found: {path}[/red]")
            raise typer.Exit(EX_CONFIG)
        return str(path)
    raw = target.with_suffix(".raw.wav")
    try:  # argv, never a shell; "--": the text is never read as an option
        subprocess.run(["espeak-ng", "-v", c.lang, "-s", "150", "-w", str(raw), "--", c.text or ""],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(target)],
                       check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        err.print(f"[red]could not render the audio with espeak-ng/sox:[/red] {exc}")
        raise typer.Exit(EX_CONFIG) from None
    return str(target)


def _place(plan: dict[str, Any], base: str, drill_id: int) -> bool:
    """Run the callers' process; tell ec112 each placed call. True when the process failed."""
    timeout = max((c["at"] + c["hangup_after"] for c in plan["calls"]), default=0) + 180
    process = subprocess.Popen([sys.executable, "-m", "ec112.lab.drill_caller", json.dumps(plan)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    assert process.stdout is not None
    failed = False
    try:
        for line in process.stdout:
            event = json.loads(line)
            kind, position = event["event"], event.get("position")
            if kind == "placed":
                placed_at = datetime.fromtimestamp(event["at"], UTC).isoformat()
                call("POST", base, f"/api/drills/{drill_id}/calls", json={"position": position, "placed_at": placed_at})
                out.print(f"  call {position + 1}: placed")
            elif kind == "ended":
                out.print(f"  call {position + 1}: ended (SIP {event.get('status')})")
            elif kind == "fatal":
                err.print(f"[red]drill callers failed:[/red] {event.get('error')}")
                failed = True
            elif kind == "done" and event.get("unfinished"):
                err.print(f"[yellow]{event['unfinished']} call(s) did not finish[/yellow]")
        failed = process.wait(timeout=timeout) != 0 or failed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return failed


@app.command("report")
def report(drill_id: Annotated[int, typer.Argument(help="the drill's id (printed by `ec112 drill run`)")],
           api: ApiOption = None,
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False) -> None:
    """Laporan latihan / the drill report: per participant and per call, against the scenario."""
    body = call("GET", api_url(api), f"/api/drills/{drill_id}/report")
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    people = Table(title=f"LATIHAN · {body['name']} · peserta / participants")
    for column in ("Petugas / taker", "Panggilan / calls", "Jawab / answer s", "Klasifikasi benar / class. ok",
                   "Pengiriman benar / dispatch ok", "Sampai kirim / to dispatch s"):
        people.add_column(column)
    for p in body["participants"]:
        people.add_row(p["taker"], str(p["calls"]), _s(p["avg_answer_seconds"]),
                       f"{p['classification_correct']}/{p['calls']}", f"{p['dispatch_correct']}/{p['calls']}",
                       _s(p["avg_dispatch_seconds"]))
    calls = Table(title="panggilan / calls")
    for column in ("#", "Penelepon / caller", "Diharapkan / expected", "Tiket / ticket", "Petugas / taker",
                   "Jawab / answer s", "Dilakukan / done", "OK", "Kirim / dispatch s"):
        calls.add_column(column)
    for c in body["calls"]:
        e = c["expect"]
        expected = " ".join(filter(None, [e["classification"], e["category"], "→ " + ",".join(e["agencies"])
                                          if e["agencies"] else None]))
        done = " ".join(filter(None, [c["classification"], c["category"], "→ " + ",".join(c["dispatched"])
                                      if c["dispatched"] else None]))
        ok = f"{_yn(c['classification_ok'])}/{_yn(c['dispatch_ok'])}"
        calls.add_row(str(c["position"] + 1), c["caller"], expected, c["ticket"] or "—", c["taker"] or "—",
                      _s(c["answer_seconds"]), done or "—", ok, _s(c["dispatch_seconds"]))
    out.print(people)
    out.print(calls)


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _yn(value: bool | None) -> str:
    return "—" if value is None else ("ya" if value else "tidak")

"""`ec112 lab run|info|call`: the ready-to-use lab of `make run` (Asterisk + ec112 on SQLite or PostgreSQL)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ec112.cli.lab_call import place_call
from ec112.config.settings_file import CONFIG_ENV, LAB_SETTINGS_FILE
from ec112.lab.asterisk import AsteriskFlavor, AsteriskNotInstalledError, AsteriskProcess
from ec112.lab.demo_locations import SHAPE_NAMES, demo_scenario
from ec112.lab.postgres import PostgresUnavailableError, create_database, provisioned, run_sync
from ec112.lab.render import LabConfig, render
from ec112.lab.settings_doc import settings_file, write_lab_settings
from ec112.lab.state import describe, load_or_create
from ec112.lab.web_accounts import accounts_banner, ensure_lab_accounts, load_lab_accounts, write_lab_agencies

app = typer.Typer(help="Lab: Asterisk + ec112 on this machine, for trying and demos.", no_args_is_help=True)
FlavorOption = Annotated[str, typer.Option("--asterisk", help="Asterisk to run: 16 (host) or 22 (sid chroot)")]
VarOption = Annotated[Path, typer.Option("--var-dir", help="Where the lab keeps its state")]
DatabaseOption = Annotated[str, typer.Option(
    "--database", help="sqlite (var/ec112.sqlite3) or postgresql (database ec112_lab on the local server, "
    "or on a private cluster started for the run when none answers)")]
LAB_DATABASE_ENV = "EC112_LAB_PG_DATABASE"  # the lab's PostgreSQL database (default ec112_lab)


def _lab_dir(var_dir: Path, flavor: AsteriskFlavor) -> Path:
    # Asterisk 22 runs in a chroot and must see its config from inside it. One lab per var dir there too:
    # a lab's records (CDR, queue_log) belong with its tickets, or a fresh var dir would backfill old calls.
    if flavor.chroot_root is not None:
        tag = hashlib.sha256(str(var_dir.resolve()).encode()).hexdigest()[:10]
        return flavor.lab_parent() / f"ec112-lab-{tag}"
    return var_dir.resolve() / "lab"


def _flavor(name: str) -> AsteriskFlavor:
    try:
        flavor = AsteriskFlavor.by_name(name)
        flavor.ensure_installed()
    except (ValueError, AsteriskNotInstalledError) as exc:
        typer.echo(f"ec112 lab: {exc}", err=True)
        raise typer.Exit(2) from exc
    return flavor


@app.command()
def info(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    asterisk: FlavorOption = "16",
    var_dir: VarOption = Path("var"),
) -> None:
    """Alamat dan akun lab / the lab's addresses and demo accounts."""
    flavor = AsteriskFlavor.by_name(asterisk)
    details = describe(load_or_create(_lab_dir(var_dir, flavor), flavor))
    details["web_accounts"] = load_lab_accounts(var_dir.resolve())
    if as_json:
        typer.echo(json.dumps(details, indent=2))
        return
    typer.echo(_banner(load_or_create(_lab_dir(var_dir, flavor), flavor), settings_file(var_dir)))
    if details["web_accounts"]:
        typer.echo(accounts_banner(details["web_accounts"], details["web"]["url"]))


def _use_database(database: str, stack: contextlib.ExitStack) -> str | None:
    """PostgreSQL: a server (kept for the lab's lifetime when private) and its ``ec112_lab`` database, whose URL
    goes into the lab's settings file ([database] url). SQLite (None): the default file under var_dir."""
    if database == "sqlite":
        return None
    if database != "postgresql":
        typer.echo(f"ec112 lab: --database {database}: sqlite atau/or postgresql", err=True)
        raise typer.Exit(2)
    try:
        server = stack.enter_context(provisioned())
    except PostgresUnavailableError as exc:
        typer.echo(f"ec112 lab: {exc}", err=True)
        raise typer.Exit(2) from exc
    url = run_sync(create_database(server, os.environ.get(LAB_DATABASE_ENV, "ec112_lab")))
    typer.echo(f"PostgreSQL: {url}" + (" (kluster privat / private cluster)" if server.private else ""))
    return url


@app.command()
def run(asterisk: FlavorOption = "16", var_dir: VarOption = Path("var"), database: DatabaseOption = "sqlite") -> None:
    """Jalankan Asterisk + ec112 / start Asterisk and ec112 in the foreground (Ctrl-C stops both)."""
    flavor = _flavor(asterisk)
    with contextlib.ExitStack() as stack:
        database_url = _use_database(database, stack)
        _run(flavor, var_dir, database_url)


def _run(flavor: AsteriskFlavor, var_dir: Path, database_url: str | None) -> None:
    config = load_or_create(_lab_dir(var_dir, flavor), flavor)
    var_dir.resolve().mkdir(parents=True, exist_ok=True)
    # The settings file every command finds (./var/ec112.toml) and the daemon reads; EC112_… variables still win.
    settings_path = write_lab_settings(config, var_dir, write_lab_agencies(var_dir.resolve()), database_url)
    web_accounts = ensure_lab_accounts(var_dir, settings_path)
    process = AsteriskProcess(flavor, render(config), output_path=config.directory / "asterisk.out")
    process.start()
    env = {**os.environ, CONFIG_ENV: str(settings_path)}
    daemon = subprocess.Popen([sys.executable, "-m", "ec112", "serve"], env=env)
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _wait_ready(f"http://127.0.0.1:{config.ports.web}/readyz", daemon)
        typer.echo(_banner(config, settings_path))
        typer.echo(accounts_banner(web_accounts, f"http://127.0.0.1:{config.ports.web}"))
        while not stop and daemon.poll() is None:
            time.sleep(0.2)
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        process.stop()
    raise typer.Exit(0 if stop else (daemon.returncode or 1))


@app.command()
def call(
    asterisk: FlavorOption = "16",
    var_dir: VarOption = Path("var"),
    exten: Annotated[str, typer.Option(help="Number dialled through the trunk")] = "112",
    shape: Annotated[str, typer.Argument(help=f"Location sent: {', '.join(SHAPE_NAMES)}")] = "point",
    reference_uri: Annotated[str, typer.Option(help="The URI a 'reference' call carries")] = (
        "http://127.0.0.1:9/loc/demo"),
    wait: Annotated[int, typer.Option(min=10, max=3600, help="Seconds the caller stays on the line")] = 300,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show SIPp's own screen")] = False,
) -> None:
    """Telepon 112 dari trunk (SIPp) dengan lokasi di PPU / a demo 112 call with a PIDF-LO location, via SIPp."""
    try:
        scenario_text = demo_scenario(shape, reference_uri, wait)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    flavor = AsteriskFlavor.by_name(asterisk)
    config = load_or_create(_lab_dir(var_dir, flavor), flavor)
    sipp = shutil.which("sipp")
    if sipp is None:
        typer.echo("sipp is not installed: run `scripts/install.sh`", err=True)
        raise typer.Exit(2)
    scenario = var_dir.resolve() / f"demo_112_call_{shape}.xml"
    scenario.write_text(scenario_text)
    argv = [sipp, f"127.0.0.1:{config.ports.sip}", "-sf", str(scenario), "-s", exten, "-m", "1",
            "-i", config.trunk_match, "-p", "5090", "-nostdin", "-timeout", f"{wait + 30}s", "-timeout_error"]
    if verbose:
        typer.echo(" ".join(argv))
    api = os.environ.get("EC112_API_URL") or f"http://127.0.0.1:{config.ports.web}"
    raise typer.Exit(place_call(argv, api, var_dir.resolve(), verbose=verbose, wait_seconds=wait))


def _wait_ready(url: str, daemon: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise typer.Exit(daemon.returncode or 1)
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    typer.echo(f"ec112 did not become ready in {timeout:.0f} s (see the log above)", err=True)


def _banner(config: LabConfig, settings_path: Path) -> str:
    p, host = config.ports, "127.0.0.1"
    first = next(iter(config.endpoint_passwords.items()))
    found = settings_path == (Path.cwd() / LAB_SETTINGS_FILE).resolve()  # discovery finds it from this directory
    shown = os.path.relpath(settings_path) if settings_path.is_relative_to(Path.cwd()) else str(settings_path)
    ec112 = ".venv/bin/ec112" + ("" if found else f" --config {shown}")
    settings = [f"Pengaturan / settings: {shown} (ec112 doctor, tickets, agent… membacanya / read it)"] if found else [
        f"Pengaturan / settings: {shown}: perintah lain perlu / other commands need `--config {shown}`",
        f"  (atau / or EC112_CONFIG={shown}), e.g. `{ec112} doctor`"]
    return "\n".join([
        "",
        "ec112 lab siap / ready",
        f"  SIP (UDP)   {host}:{p.sip}      AMI {host}:{p.ami}      FastAGI {config.agi_host}:{p.agi}",
        f"  Web / API   http://{host}:{p.web}   (http://{host}:{p.web}/api/tickets)",
        *settings,
        f"Periksa / check:   {ec112} doctor",
        "",
        "Softphone petugas / call-taker softphone:",
        f"  server {host}:{p.sip} (UDP), user {first[0]}, password {first[1]}",
        f"  then:  {ec112} agent login {first[0]}",
        f"Panggilan 112 dari trunk / a 112 call from the trunk ({config.trunk_match}, not a registered taker):",
        "  .venv/bin/ec112 lab call          (SIPp, caller +6281234567890 with a GPS location in Penajam)",
        "  .venv/bin/ec112 lab call polygon  (or circle, ellipse, civic, reference)",
        f"Tiket / tickets:   {ec112} tickets list",
        "All accounts:      .venv/bin/ec112 lab info --json",
        "Ctrl-C stops Asterisk and ec112.",
    ])

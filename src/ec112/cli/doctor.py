"""`ec112 doctor`: check the whole 112 path from a shell and say what to fix.

It reads the same settings as `ec112 serve`, talks to Asterisk over its own AMI login, makes Asterisk
call ec112's FastAGI (``ec112-doctor`` context), reads the database schema and asks the daemon's API.
The queue's wrapuptime comes from Asterisk's queues.conf when readable here (``[callcenter] queues_conf``;
no AMI action reports it, see ``ec112.services.doctor``). It changes nothing. Output: a table and the fixes
below it, or ``--json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ec112.cli.api_client import api_url, daemon_url
from ec112.cli.doctor_disk import disk_checks
from ec112.cli.doctor_site import site_expectation
from ec112.config.exit_codes import EX_CONFIG
from ec112.config.settings import Settings, load_settings
from ec112.logs import configure_logging
from ec112.services.doctor import Check, DaemonHealth, DoctorTarget, Status, exit_code
from ec112.services.doctor_rules import settings_check
from ec112.services.doctor_site import SiteExpectation

LABELS = {
    "settings": "Pengaturan / settings",
    "ami": "AMI login",
    "dialplan": "Dialplan 112",
    "queue": "Antrean / queue",
    "wrapup": "Wrap-up (queues.conf)",
    "fastagi": "FastAGI dari Asterisk / from Asterisk",
    "recorder": "Perekam / recorder (MixMonitor)",
    "database": "Basis data / database",
    "daemon": "Layanan / daemon API",
    "disk-recordings": "Disk rekaman / recordings disk",
    "disk-database": "Disk basis data / database disk",
    "site": "Berkas situs / site file",
    "includes": "Include dialplan ec112 / includes loaded",
    "endpoints": "Endpoint situs / site endpoints",
    "trunks": "Trunk situs / site trunks",
    "members": "Anggota antrean / queue members",
}
STYLES = {Status.OK: "[green]OK[/green]", Status.WARN: "[yellow]WARN[/yellow]",
          Status.FAIL: "[red]GAGAL / FAIL[/red]", Status.SKIP: "[dim]LEWAT / SKIP[/dim]"}
out = Console()


class ApiProbe:
    """``services.doctor.DaemonProbe`` over the daemon's JSON API: is `ec112 serve` running here?"""

    def __init__(self, base: str, timeout: float) -> None:
        self._base, self._timeout = base, timeout

    async def health(self) -> DaemonHealth:
        try:
            async with asyncio.timeout(self._timeout), httpx.AsyncClient(timeout=self._timeout) as client:
                health = await client.get(f"{self._base}/healthz")
                ready = await client.get(f"{self._base}/readyz")
        except (httpx.HTTPError, TimeoutError) as exc:
            return DaemonHealth(False, type(exc).__name__)
        if health.status_code != 200:
            return DaemonHealth(False, f"/healthz → HTTP {health.status_code}")
        pid = health.json().get("pid", "?")
        return DaemonHealth(True, f"ec112 serve berjalan / running (worker pid {pid}), {_readiness(ready)}")


def _readiness(ready: httpx.Response) -> str:
    """The daemon's own view (/readyz: 200 ready, 503 not ready, with the parts that are down)."""
    try:
        parts = ready.json()["components"] if ready.status_code in (200, 503) else None
        down = [name for name, part in parts.items() if not part["ok"]] if parts is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        down = None
    if down is None:
        return f"/readyz → HTTP {ready.status_code}"
    return "siap / ready" if not down else f"belum siap / not ready: {', '.join(down)}"


def _api_base(settings: Settings, explicit: str | None) -> str:
    if explicit or os.environ.get("EC112_API_URL"):
        return api_url(explicit)
    return daemon_url(settings.web.host, settings.web.port)


def _settings_file(settings: Settings) -> Path | None:
    """The settings file ``load_settings`` read (``--config`` or the one discovery found), or None."""
    return type(settings).toml_path


def _settings_detail(settings: Settings) -> str:
    path = _settings_file(settings)
    source = f"file / berkas {path}" if path else "tanpa berkas / no file (env EC112_* + default)"
    return f"{source}{' (lab mode)' if settings.lab_mode else ''}"


def _secret_source(settings: Settings) -> str:
    """Where the AMI secret ec112 uses was set: the environment wins over the file."""
    path = _settings_file(settings)
    if "EC112_AMI__SECRET" in os.environ or path is None:
        return "EC112_AMI__SECRET" + ("" if path is None else f" (menimpa / overrides [ami] secret in {path})")
    return f"[ami] secret di / in {path}"


def _manager_conf(settings: Settings) -> str:
    """manager.conf beside the queues.conf Asterisk loaded (the lab's and a stock /etc/asterisk), when there."""
    queues_conf = settings.callcenter.queues_conf
    candidate = queues_conf.parent / "manager.conf" if queues_conf is not None else None
    return str(candidate) if candidate is not None and candidate.exists() else "manager.conf"


async def _diagnose(settings: Settings, target: DoctorTarget, site: SiteExpectation | None) -> list[Check]:
    # Imported here: every other `ec112` command would otherwise pay for SQLAlchemy and Alembic.
    from ec112.ami.doctor_probe import AmiDoctorProbe
    from ec112.config.asterisk_queues import QueuesConfFile
    from ec112.db.schema_status import AlembicSchemaProbe
    from ec112.services.doctor_run import diagnose

    ami = AmiDoctorProbe(
        host=settings.ami.host, port=settings.ami.port, username=settings.ami.username,
        secret=settings.ami.secret.get_secret_value(), connect_timeout=settings.ami.connect_timeout,
        login_timeout=settings.ami.login_timeout, action_timeout=settings.ami.action_timeout,
    )
    try:
        return await diagnose(target, ami, AlembicSchemaProbe(settings.database_url), ApiProbe(target.api_url, 3.0),
                              QueuesConfFile(settings.callcenter.queues_conf), None if site is None else (site, ami))
    finally:
        await ami.close()


def render(checks: list[Check]) -> None:
    table = Table(title="ec112 doctor")
    for column in ("Pemeriksaan / check", "Hasil / result", "Rincian / detail"):
        table.add_column(column)
    for check in checks:
        table.add_row(LABELS.get(check.name, check.name), STYLES[check.status], escape(check.detail))
    out.print(table)
    fixes = [c for c in checks if c.fix and c.status is not Status.OK]
    if fixes:
        out.print("[bold]Perbaikan / what to fix:[/bold]")
        for check in fixes:
            out.print(f"- [bold]{check.name}[/bold]: {escape(check.fix)}", highlight=False)
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        out.print(f"[red]Gagal / failed: {', '.join(failed)}[/red]")
    else:
        out.print("[green]Semua pemeriksaan wajib lulus / all required checks passed[/green]")


def _emit(checks: list[Check], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([c.as_json() for c in checks], indent=2, ensure_ascii=False))
    else:
        render(checks)


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (env EC112_CONFIG)")]
        = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON")] = False,
        api: Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")] = None,
        timeout: Annotated[float, typer.Option(help="Seconds to wait for the FastAGI probe")] = 5.0,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log the checks to stderr")] = False,
    ) -> None:
        """Periksa AMI, dialplan, antrean, FastAGI, basis data / check what 112 calls need, and what to fix.

        Exit 0: every required check passed (warnings allowed); 1: a required check failed or could not
        run; 78: the settings are invalid. The daemon API check is informational.
        """
        if not verbose:  # the table says it all: keep the AMI client's own warnings off the terminal
            quiet = logging.getLogger("ec112")
            if not any(isinstance(h, logging.NullHandler) for h in quiet.handlers):
                quiet.addHandler(logging.NullHandler())
        try:
            settings = load_settings(config)
        except (ValidationError, FileNotFoundError, ValueError) as exc:
            _emit([settings_check(False, " ".join(str(exc).split()))], as_json)
            raise typer.Exit(EX_CONFIG) from exc
        if verbose:  # everything at DEBUG, libraries included (a diagnosis), in the configured [log] format
            configure_logging(logging.DEBUG, settings.log.format, quiet_libraries=False)
        target = DoctorTarget(
            ami=f"{settings.ami.host}:{settings.ami.port}", agi_host=settings.agi.host, agi_port=settings.agi.port,
            queue=settings.callcenter.queue, wrapup_seconds=settings.callcenter.wrapup_seconds,
            api_url=_api_base(settings, api), probe_timeout=timeout,
            secret_source=_secret_source(settings), manager_conf=_manager_conf(settings),
            check_timeout=max(15.0, timeout + 5.0, settings.ami.connect_timeout + settings.ami.login_timeout + 5.0),
        )
        checks = [settings_check(True, _settings_detail(settings))]
        site = site_expectation(settings.site)  # [site] file: the running Asterisk is checked against it too
        if isinstance(site, Check):
            checks.append(site)
        checks += asyncio.run(_diagnose(settings, target, site if isinstance(site, SiteExpectation) else None))
        checks += disk_checks(settings)
        _emit(checks, as_json)
        raise typer.Exit(exit_code(checks))

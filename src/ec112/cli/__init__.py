"""The ``ec112`` command: run the daemon, and inspect it through its JSON API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ec112.cli import (
    agencies,
    agents,
    audit,
    boundaries,
    doctor,
    drill,
    incidents,
    lab,
    live,
    site,
    spy,
    tickets,
    users,
)
from ec112.cli.backup import register as register_backup
from ec112.config.exit_codes import EX_CONFIG
from ec112.config.settings import Settings, load_settings
from ec112.config.settings_file import CONFIG_ENV
from ec112.logs import configure_logging

app = typer.Typer(help="ec112 — layanan panggilan darurat 112 / 112 emergency call handling.", no_args_is_help=True)
app.add_typer(tickets.app, name="tickets")
app.add_typer(agents.app, name="agent")
app.add_typer(lab.app, name="lab")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(agencies.app, name="agencies")
app.add_typer(boundaries.app, name="boundaries")
app.add_typer(incidents.app, name="incidents")
app.add_typer(drill.app, name="drill")
app.add_typer(site.app, name="site")  # issue 17: a real site's Asterisk configuration
live.register(app)
doctor.register(app)
spy.register(app)  # issue 14: listen, whisper, barge
register_backup(app)  # issue 15: ec112 backup, ec112 restore
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (env EC112_CONFIG)")]


@app.callback()
def _every_command(config: ConfigOption = None) -> None:
    """ec112 — layanan panggilan darurat 112 / 112 emergency call handling."""
    # `ec112 --config FILE <command>`: the settings file of every command of this process (and of a daemon it
    # starts), e.g. a lab run with --var-dir other than ./var. Discovery reads EC112_CONFIG (settings_file).
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


def _settings(config: Path | None) -> Settings:

    try:
        return load_settings(config)
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"ec112: invalid settings: {exc}", err=True)
        raise typer.Exit(EX_CONFIG) from exc


def _logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log.format)  # ec112.logs: text or JSON on stderr


@app.command()
def serve(
    config: ConfigOption = None,
    watchdog: Annotated[bool, typer.Option(help="Run under the freeze watchdog (see README)")] = True,
) -> None:
    """Jalankan layanan / run the daemon (AMI, FastAGI, web) under its watchdog."""
    from ec112 import daemon
    from ec112.watchdog.supervisor import run_supervised, worker_command

    settings = _settings(config)
    _logging(settings)
    if not (watchdog and settings.watchdog.enabled):
        raise typer.Exit(daemon.main(settings))
    extra = ["--config", str(config)] if config else []
    pid_file = settings.var_dir / "ec112-worker.pid"
    raise typer.Exit(run_supervised(settings.watchdog, worker_command(extra), pid_file))


@app.command(hidden=True)
def worker(config: ConfigOption = None) -> None:
    """The daemon process itself (started by `serve`)."""
    from ec112 import daemon

    settings = _settings(config)
    _logging(settings)
    raise typer.Exit(daemon.main(settings))


def main() -> None:
    app()

"""`ec112 user add|list|passwd|disable|enable|link|role|token`: web panel accounts, straight in the database.

A server admin tool (like Django's ``createsuperuser``): it needs the settings (database URL) and works
whether the daemon runs or not, on the stores of the daemon's own factory (``ec112.wiring``), through the same
``UserAdmin`` as the panel's admin pages (same validation: a SIP endpoint must be one of the site's when
``[softphones] accounts_file`` lists them, and not another active account's). Every change is audited with actor
``cli``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from ec112.cli.fit_table import Col, fit_table
from ec112.config.exit_codes import EX_CONFIG, EXIT_NOT_FOUND, EXIT_REFUSED
from ec112.config.settings import Settings, load_settings
from ec112.domain.accounts import CLI_PRINCIPAL, Language, NewUser, Role
from ec112.domain.errors import DomainError, NotFound

if TYPE_CHECKING:  # the database stack is imported when a command runs, not at every `ec112 …` start
    from ec112.services.accounts import UserAdmin
    from ec112.services.passwords import Passwords

T = TypeVar("T")
app = typer.Typer(help="Akun panel web / web panel accounts.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (env EC112_CONFIG)")]
Username = Annotated[str, typer.Argument(help="Login name, e.g. siti or taker03")]
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")]
ACTOR = CLI_PRINCIPAL.username


def load(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        err.print(f"ec112: invalid settings: {exc}")
        raise typer.Exit(EX_CONFIG) from exc


async def with_admin(settings: Settings, work: Callable[[UserAdmin], Awaitable[T]],
                     passwords: Passwords | None = None) -> T:
    """Run ``work`` with a UserAdmin on the configured database (migrated first: it may be a fresh one)."""
    from ec112.config.softphone_accounts import site_endpoints_reader
    from ec112.wiring import open_stores

    async with open_stores(settings) as stores:
        return await work(stores.user_admin(passwords, site_endpoints_reader(settings.softphones)))


def run(settings: Settings, work: Callable[[UserAdmin], Awaitable[T]]) -> T:
    """Run it and turn a domain error into a message and an exit code."""
    try:
        return asyncio.run(with_admin(settings, work))
    except DomainError as exc:
        err.print(f"[red]ec112 user:[/red] {exc.message}")
        raise typer.Exit(EXIT_NOT_FOUND if isinstance(exc, NotFound) else EXIT_REFUSED) from exc


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Kata sandi / password", hide_input=True, confirmation_prompt=True)
    return value


@app.command()
def add(
    username: Username,
    role: Annotated[Role, typer.Option("--role", "-r", help="admin|supervisor|call_taker|agency_officer|responder")],
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="A call taker's SIP endpoint: taker03")] = None,
    name: Annotated[str, typer.Option("--name", help="Display name (default: the username)")] = "",
    lang: Annotated[Language, typer.Option("--lang", help="Panel language: id or en")] = Language.ID,
    agency: Annotated[str | None, typer.Option("--agency", help="Agency code (agency officers, responders)")] = None,
    password_stdin: StdinOption = False,
    config: ConfigOption = None,
) -> None:
    """Tambah akun / add an account (asks for the password, or reads it with --password-stdin)."""
    settings = load(config)
    new = NewUser(username, name, role, endpoint, agency, lang)
    password = _password(password_stdin)
    user = run(settings, lambda admin: admin.add(ACTOR, new, password))
    where = f", endpoint {user.sip_endpoint}" if user.sip_endpoint else ""
    typer.echo(f"akun {user.username} dibuat / account created ({user.role.value}{where})")


@app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False, config: ConfigOption = None
) -> None:
    """Daftar akun / list the accounts."""
    users = run(load(config), lambda admin: admin.list())
    if as_json:
        typer.echo(json.dumps([
            {"username": u.username, "display_name": u.display_name, "role": u.role.value,
             "sip_endpoint": u.sip_endpoint, "agency": u.agency, "language": u.language.value,
             "disabled": u.disabled}
            for u in users
        ], indent=2))
        return
    # The login name and the role are what an admin types next: never cut.
    cols = (Col("Pengguna", essential=True), Col("Peran / role", essential=True), Col("Endpoint"), Col("Aktif"),
            Col("Instansi"), Col("Bahasa"), Col("Nama", fold=True))
    rows = [[u.username, u.role.value, u.sip_endpoint or "-", "tidak" if u.disabled else "ya", u.agency or "-",
             u.language.value, u.display_name] for u in users]
    out.print(fit_table("Akun / accounts", cols, rows, out.width))


@app.command()
def passwd(username: Username, password_stdin: StdinOption = False, config: ConfigOption = None) -> None:
    """Ganti kata sandi / set a new password (every session of the account ends)."""
    settings = load(config)
    password = _password(password_stdin)
    ended = run(settings, lambda admin: admin.change_password(ACTOR, username, password))
    typer.echo(f"kata sandi {username} diganti / password changed ({ended} session(s) ended)")


@app.command()
def disable(username: Username, config: ConfigOption = None) -> None:
    """Nonaktifkan akun / disable an account: its sessions end, its API tokens stop working."""
    ended = run(load(config), lambda admin: admin.set_disabled(ACTOR, username, True))
    typer.echo(f"akun {username} dinonaktifkan / disabled ({ended} session(s) ended)")


@app.command()
def enable(username: Username, config: ConfigOption = None) -> None:
    """Aktifkan kembali / enable a disabled account."""
    run(load(config), lambda admin: admin.set_disabled(ACTOR, username, False))
    typer.echo(f"akun {username} aktif kembali / enabled")


@app.command()
def link(
    username: Username,
    endpoint: Annotated[str | None, typer.Argument(help="SIP endpoint, e.g. taker05; omit with --unlink")] = None,
    unlink: Annotated[bool, typer.Option("--unlink", help="Remove the account's SIP endpoint")] = False,
    config: ConfigOption = None,
) -> None:
    """Tautkan endpoint SIP / link (or --unlink) the account's SIP endpoint (her desk phone)."""
    if (endpoint is None) != unlink:
        err.print("ec112 user link: give an ENDPOINT or --unlink / beri ENDPOINT atau --unlink")
        raise typer.Exit(EXIT_REFUSED)
    user = run(load(config), lambda admin: admin.link_endpoint(ACTOR, username, endpoint))
    typer.echo(f"akun {user.username}: endpoint {user.sip_endpoint or '-'} / account linked")


@app.command()
def role(
    username: Username,
    new_role: Annotated[Role, typer.Argument(metavar="ROLE", help="admin|supervisor|call_taker|agency_officer|…")],
    agency: Annotated[str | None, typer.Option("--agency", help="Agency code (agency officers, responders)")] = None,
    config: ConfigOption = None,
) -> None:
    """Ganti peran / change the account's role (checked as a new account would be)."""
    user = run(load(config), lambda admin: admin.set_role(ACTOR, username, new_role, agency))
    typer.echo(f"akun {user.username}: peran {user.role.value} / role changed")


@app.command()
def token(
    username: Username,
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. prometheus")] = "api",
    config: ConfigOption = None,
) -> None:
    """Token API baru (ditampilkan sekali) / a new API token, printed once: `Authorization: Bearer …`."""
    value = run(load(config), lambda admin: admin.issue_token(ACTOR, username, name))
    err.print("Simpan sekarang, tidak ditampilkan lagi / keep it now, it is not shown again:")
    typer.echo(value)

"""The CLI's view of a running daemon: its JSON API, with one clear message when it is not there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console

from ec112.config.exit_codes import EXIT_FORBIDDEN, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNAUTHORIZED, EXIT_UNREACHABLE

DEFAULT_API = "http://127.0.0.1:8112"

err = Console(stderr=True)


_WILDCARD = frozenset({"", "0.0.0.0", "::"})  # listen-anywhere addresses: ask loopback


def api_url(explicit: str | None) -> str:
    """``--api``, else EC112_API_URL, else the daemon the settings file describes (``[web] host``/``port``: the
    same file `ec112 serve` reads), else the default port."""
    if explicit or os.environ.get("EC112_API_URL"):
        return (explicit or os.environ["EC112_API_URL"]).rstrip("/")
    from ec112.config.settings import load_settings

    try:
        web = load_settings().web
    except Exception:  # noqa: BLE001 - settings the CLI cannot validate: the default address, the request says the rest
        return DEFAULT_API
    return daemon_url(web.host, web.port)


def daemon_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in _WILDCARD else host}:{port}"


def api_token() -> str | None:
    """EC112_API_TOKEN, else the daemon's local token in the settings' var_dir (see ``ec112.config.local_token``)."""
    if os.environ.get("EC112_API_TOKEN"):
        return os.environ["EC112_API_TOKEN"].strip()
    from ec112.config.local_token import read_cli_token
    from ec112.config.settings import load_settings

    try:
        var_dir = load_settings().var_dir
    except Exception:  # noqa: BLE001 - settings the CLI cannot validate still name var_dir in the environment
        var_dir = Path(os.environ.get("EC112_VAR_DIR", "var"))
    return read_cli_token(var_dir)


def call(method: str, base: str, path: str, *, exit_on_invalid: int | None = None, **kwargs: Any) -> Any:
    """One API request; exits with a clear message and a distinct code on every failure (``exit_on_invalid``: the
    code of a 422, e.g. 1 for a document with mistakes, each printed)."""
    response = _request(method, base, path, exit_on_invalid, **kwargs)
    return response.json() if response.content else None


def call_text(method: str, base: str, path: str, **kwargs: Any) -> str:
    """``call`` for an answer that is text (a TOML document)."""
    return _request(method, base, path, None, **kwargs).text


def _request(method: str, base: str, path: str, exit_on_invalid: int | None, **kwargs: Any) -> httpx.Response:
    token = api_token()
    if token:
        kwargs["headers"] = {"Authorization": f"Bearer {token}", **kwargs.get("headers", {})}
    try:
        response = httpx.request(method, f"{base}{path}", timeout=10.0, **kwargs)
    except httpx.TransportError as exc:
        err.print(f"[red]ec112 is not reachable at {base}[/red] ({type(exc).__name__}). Is `ec112 serve` running?")
        raise typer.Exit(EXIT_UNREACHABLE) from exc
    if response.status_code == 404:
        err.print(f"[yellow]{_message(response)}[/yellow]")
        raise typer.Exit(EXIT_NOT_FOUND)
    if response.status_code == 401:
        err.print("[red]ec112 wants a credential:[/red] run as the account that runs `ec112 serve` (it reads "
                  "var/cli-token) or set EC112_API_TOKEN (`ec112 user token USERNAME`)")
        raise typer.Exit(EXIT_UNAUTHORIZED)
    if response.status_code == 403:
        err.print(f"[red]not allowed:[/red] {_message(response)}")
        raise typer.Exit(EXIT_FORBIDDEN)
    if response.status_code == 422 and exit_on_invalid is not None:
        err.print("[red]ditolak / refused:[/red]")
        err.print(_message(response), markup=False)
        raise typer.Exit(exit_on_invalid)
    if response.status_code >= 400:
        err.print(f"[red]ec112 refused the request ({response.status_code}):[/red] {_message(response)}")
        raise typer.Exit(EXIT_REFUSED)
    return response


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or body)
    return str(body)

"""The CLI's view of a running daemon: its JSON API, with one clear message when it is not there."""

from __future__ import annotations

import os
from typing import Any

import httpx
import typer
from rich.console import Console

DEFAULT_API = "http://127.0.0.1:8112"
EXIT_UNREACHABLE = 3
EXIT_NOT_FOUND = 4
EXIT_REFUSED = 5

err = Console(stderr=True)


def api_url(explicit: str | None) -> str:
    return (explicit or os.environ.get("EC112_API_URL") or DEFAULT_API).rstrip("/")


def call(method: str, base: str, path: str, **kwargs: Any) -> Any:
    """One API request; exits with a clear message and a distinct code on every failure."""
    try:
        response = httpx.request(method, f"{base}{path}", timeout=10.0, **kwargs)
    except httpx.TransportError as exc:
        err.print(f"[red]ec112 is not reachable at {base}[/red] ({type(exc).__name__}). Is `ec112 serve` running?")
        raise typer.Exit(EXIT_UNREACHABLE) from exc
    if response.status_code == 404:
        err.print(f"[yellow]{_message(response)}[/yellow]")
        raise typer.Exit(EXIT_NOT_FOUND)
    if response.status_code >= 400:
        err.print(f"[red]ec112 refused the request ({response.status_code}):[/red] {_message(response)}")
        raise typer.Exit(EXIT_REFUSED)
    return response.json() if response.content else None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or body)
    return str(body)

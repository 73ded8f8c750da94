"""`ec112 agent login|logout ENDPOINT`: a call taker joins or leaves the 112 queue."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ec112.cli.api_client import api_url, call

app = typer.Typer(help="Petugas penerima panggilan / call takers.", no_args_is_help=True)
ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
Endpoint = Annotated[str, typer.Argument(help="The call taker's SIP endpoint, e.g. taker01")]


def _change(verb: str, endpoint: str, api: str | None, as_json: bool) -> None:
    result = call("POST", api_url(api), f"/api/agents/{endpoint}/{verb}")
    if as_json:
        typer.echo(json.dumps(result))
    elif verb == "login":
        note = "" if result["changed"] else " (sudah masuk / already logged in)"
        typer.echo(f"{endpoint} masuk antrean {result['queue']} / joined queue {result['queue']}{note}")
    else:
        note = "" if result["changed"] else " (tidak di antrean / was not in the queue)"
        typer.echo(f"{endpoint} keluar antrean {result['queue']} / left queue {result['queue']}{note}")


@app.command()
def login(endpoint: Endpoint, api: ApiOption = None, as_json: JsonOption = False) -> None:
    """Masuk antrean 112 / join the 112 queue."""
    _change("login", endpoint, api, as_json)


@app.command()
def logout(endpoint: Endpoint, api: ApiOption = None, as_json: JsonOption = False) -> None:
    """Keluar antrean 112 / leave the 112 queue."""
    _change("logout", endpoint, api, as_json)


@app.command()
def pause(
    endpoint: Endpoint,
    reason: Annotated[str, typer.Option("--reason", "-r", help="istirahat, sholat, briefing, administrasi, …")],
    api: ApiOption = None,
) -> None:
    """Jeda (tidak menerima panggilan) / pause: not offered calls until unpaused."""
    call("POST", api_url(api), f"/api/agents/{endpoint}/pause", json={"reason": reason})
    typer.echo(f"{endpoint} dijeda ({reason}) / paused ({reason})")


@app.command()
def unpause(endpoint: Endpoint, api: ApiOption = None) -> None:
    """Lanjut menerima panggilan / unpause."""
    call("POST", api_url(api), f"/api/agents/{endpoint}/unpause")
    typer.echo(f"{endpoint} siap menerima panggilan / available again")

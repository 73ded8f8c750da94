"""``ec112 spy``: a supervisor listens to, whispers to or barges into a call taker's live call, from his phone.

Through the JSON API (``/api/spy``) with his own token (EC112_API_TOKEN): ec112 rings the phone of *his* account
(its sip_endpoint). ``ec112 spy taker01 --whisper`` starts (or, while he is on that taker's call, switches);
``--stop ID`` leaves; ``--list`` shows every session.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ec112.cli.api_client import api_url, call
from ec112.config.exit_codes import EXIT_REFUSED

ApiOption = Annotated[str | None, typer.Option("--api", help="ec112 API URL (env EC112_API_URL)")]


def _line(s: dict[str, Any]) -> str:
    ticket = f" tiket/ticket {s['ticket']}" if s.get("ticket") else ""
    return f"{s['id']}  {s['supervisor']} ({s['phone']}) → {s['taker']}  {s['mode']}  {s['state']}{ticket}"


def register(app: typer.Typer) -> None:
    @app.command()
    def spy(
        taker: Annotated[str | None, typer.Argument(help="the call taker's endpoint, e.g. taker01")] = None,
        listen: Annotated[bool, typer.Option("--listen", help="dengar / hear both, heard by nobody")] = False,
        whisper: Annotated[bool, typer.Option("--whisper", help="bisik / only the call taker hears you")] = False,
        barge: Annotated[bool, typer.Option("--barge", help="masuk / both hear you")] = False,
        stop: Annotated[str | None, typer.Option("--stop", metavar="ID", help="leave that session")] = None,
        list_: Annotated[bool, typer.Option("--list", help="every session")] = False,
        api: ApiOption = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Dengar, bisik, masuk / listen, whisper, barge into a call taker's live call (your phone rings)."""
        base = api_url(api)
        modes = [m for m, on in (("listen", listen), ("whisper", whisper), ("barge", barge)) if on]
        if list_:
            result: Any = call("GET", base, "/api/spy")
            lines = [_line(s) for s in result] or ["tidak ada sesi / no sessions"]
        elif stop:
            result = call("DELETE", base, f"/api/spy/{stop}")
            lines = [f"selesai / left: {_line(result)}"]
        elif taker and len(modes) <= 1:
            mode = modes[0] if modes else "listen"
            mine = [s for s in call("GET", base, "/api/spy") if s["taker"] == taker]
            if mine:  # already on her call: switch mode
                result = call("POST", base, f"/api/spy/{mine[0]['id']}/mode", json={"mode": mode})
            else:
                result = call("POST", base, "/api/spy", json={"taker": taker, "mode": mode})
            lines = [_line(result)]
        else:
            typer.echo("usage: ec112 spy TAKER [--listen|--whisper|--barge] | --stop ID | --list", err=True)
            raise typer.Exit(EXIT_REFUSED)
        typer.echo(json.dumps(result, ensure_ascii=False) if as_json else "\n".join(lines))

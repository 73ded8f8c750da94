"""`ec112 lab call`: a demo 112 call through the lab's trunk (SIPp), shown as one line per step.

SIPp places the call and reports what the citizen sees (its ``<log>`` lines, ``-trace_logs``); ec112's JSON API
says which ticket was opened, who answered, and why the call still waits. SIPp's own statistics screen only with
``--verbose``. Every API request is bounded (a short timeout); when the API does not answer the call goes on and
the progress says so (fail open). How long the citizen stays on the line is bounded too (``--wait``).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import typer

from ec112.cli.call_progress import CALLER, CallProgress
from ec112.config.local_token import read_cli_token

POLL_SECONDS = 0.5
API_TIMEOUT = 2.0  # one request to the lab's own daemon on the loopback
SETTLE_SECONDS = 5.0  # after SIPp ends: how long to wait for the ticket to show who answered
_SIPP_ERROR = re.compile(r"\d{4}-\d\d-\d\d\s")  # SIPp's error lines start with the date


class _Api:
    """The daemon's JSON API as the progress needs it: None instead of an exception, every request bounded."""

    def __init__(self, base: str, var_dir: Path) -> None:
        token = os.environ.get("EC112_API_TOKEN") or read_cli_token(var_dir)
        headers = {"Authorization": f"Bearer {token.strip()}"} if token else {}
        self.base = base
        self._client = httpx.Client(base_url=base, timeout=API_TIMEOUT, headers=headers)
        self.error = ""

    def get(self, path: str, **params: Any) -> Any:
        try:
            response = self._client.get(path, params=params)
            response.raise_for_status()
            self.error = ""
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.error = f"HTTP {exc.response.status_code}" if isinstance(exc, httpx.HTTPStatusError) else (
                type(exc).__name__)
            return None

    def close(self) -> None:
        self._client.close()


def _tickets(api: _Api) -> list[dict[str, Any]] | None:
    found = api.get("/api/tickets", limit=20)
    return found if isinstance(found, list) else None


def place_call(argv: list[str], api_base: str, var_dir: Path, *, verbose: bool, wait_seconds: int) -> int:
    """Run SIPp (``argv`` without its log options) and print the progress; SIPp's exit code."""
    api = _Api(api_base, var_dir)
    progress = CallProgress(api_base)
    before = {t["number"] for t in _tickets(api) or []}  # older tickets of the same demo caller are not this call
    with tempfile.TemporaryDirectory(prefix="ec112-lab-call-") as tmp:
        log, errors = Path(tmp) / "sipp.log", Path(tmp) / "sipp.err"
        log.touch()
        with errors.open("wb") as stderr:
            sipp = subprocess.Popen([*argv, "-trace_logs", "-log_file", str(log)], stderr=stderr,
                                    stdout=None if verbose else subprocess.DEVNULL)
        try:
            with log.open(encoding="utf-8", errors="replace") as lines:
                while sipp.poll() is None:
                    _follow(lines, progress, api, before)
                    time.sleep(POLL_SECONDS)
                _follow(lines, progress, api, before)
        except KeyboardInterrupt:
            sipp.terminate()  # SIPp hangs up the call it holds (a BYE) before it exits
            sipp.wait(10)
            api.close()
            raise
        returncode = sipp.returncode
        _settle(progress, api, before)
        _echo(progress.on_exit(returncode, wait_seconds))
        if returncode != 0 and not progress.asterisk_answered:  # why SIPp gave up: its dated error lines
            found = [line for line in errors.read_text(errors="replace").splitlines() if _SIPP_ERROR.match(line)]
            _echo([f"  SIPp: {line[:200]}" for line in found[-3:]])
    api.close()
    return returncode


def _echo(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


def _follow(lines: Any, progress: CallProgress, api: _Api, before: set[str]) -> None:
    """New SIPp lines, then (once Asterisk answered) the ticket and, while it waits, the call takers."""
    for line in lines.readlines():
        if line.startswith("ended") and progress.ticket is not None:
            _ask_api(progress, api, before)  # who answered, before the line that names who hung up
        _echo(progress.on_sipp(line))
    if progress.asterisk_answered and not progress.ended:
        _ask_api(progress, api, before)


def _ask_api(progress: CallProgress, api: _Api, before: set[str]) -> None:
    tickets = _tickets(api)
    if tickets is None:
        _echo(progress.on_api_error(api.error))
        return
    progress.on_api_ok()
    mine = [t for t in tickets if t["number"] not in before and t.get("caller_number") == CALLER]
    if not mine:
        return  # the intake is writing it (or ec112 missed the call: the dialplan queued it anyway)
    ticket = min(mine, key=lambda t: str(t.get("created_at")))
    _echo(progress.on_ticket(ticket))
    if progress.answered_by is None:
        agents = api.get("/api/agents")
        if isinstance(agents, list):
            _echo(progress.on_agents(agents))


def _settle(progress: CallProgress, api: _Api, before: set[str]) -> None:
    """The call ended: the ticket may show who answered a moment later (the AMI events trail the BYE)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while progress.ticket is not None and progress.answered_by is None and time.monotonic() < deadline:
        tickets = _tickets(api)
        if tickets is None:
            return
        for ticket in tickets:
            if ticket["number"] == progress.ticket:
                _echo(progress.on_ticket(ticket))
        time.sleep(POLL_SECONDS)

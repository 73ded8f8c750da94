"""`python -m bench.amiwatch`: Asterisk's own moments of the surge's calls, from its AMI (a separate process).

Logs in with ec112's AMI account (the lab's manager.conf; the secret comes in $EC112_BENCH_AMI_SECRET;
``Events: agent`` only) and notes, per caller whose number (digits only) starts with ``--track``, when
Asterisk put the caller in the queue (``QueueCallerJoin``) and connected it to a taker (``AgentConnect``).
The time is the event's own ``Timestamp`` header (manager.conf ``timestampevents = yes``: Asterisk's clock
when it raised the event, the same machine's clock as the SSE clients'), else the time this process read
it. Writes ``--out`` (JSON, replaced atomically every second and at SIGTERM):
``{"joined": {digits: t}, "answered": {digits: t}, "errors": n}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

SECRET_ENV = "EC112_BENCH_AMI_SECRET"  # noqa: S105 - a variable's name; not on the command line, where `ps` would show it
MOMENTS = {"QueueCallerJoin": "joined", "AgentConnect": "answered"}


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _headers(block: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip(), value.strip())
    return out


def note(headers: dict[str, str], state: dict[str, Any], prefix: str) -> None:
    """Record the first join / connect of a tracked caller (CallerIDNum is the caller's channel in both)."""
    moment = MOMENTS.get(headers.get("Event", ""))
    key = _digits(headers.get("CallerIDNum", ""))
    if moment is None or not key.startswith(prefix) or key in state[moment]:
        return
    try:
        at = float(headers["Timestamp"])
    except (KeyError, ValueError):
        at = time.time()
    state[moment][key] = at


async def _listen(args: argparse.Namespace, state: dict[str, Any], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
            try:
                await asyncio.wait_for(reader.readline(), 10)  # "Asterisk Call Manager/x.y"
                writer.write(f"Action: Login\r\nUsername: {args.user}\r\nSecret: {os.environ[SECRET_ENV]}\r\n"
                             "Events: agent\r\n\r\n".encode())
                await writer.drain()
                while not stop.is_set():
                    note(_headers(await reader.readuntil(b"\r\n\r\n")), state, args.track)
            finally:
                writer.close()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            state["errors"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


def _write(out: Path, state: dict[str, Any]) -> None:
    temp = out.with_suffix(".tmp")
    temp.write_text(json.dumps(state))
    temp.replace(out)


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    state: dict[str, Any] = {"joined": {}, "answered": {}, "errors": 0}
    task = asyncio.create_task(_listen(args, state, stop))
    while not stop.is_set():
        _write(args.out, state)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    _write(args.out, state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("out", type=Path)
    parser.add_argument("--track", required=True, help="digits a tracked caller number starts with")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

"""`python -m bench.sse`: N browsers' worth of SSE clients on ``/api/events`` (a separate process).

Each client keeps one stream open (reconnecting when ec112 restarts) and counts the events it received by
kind. Writes ``--out`` (JSON, replaced atomically every second and at SIGTERM):
``{"clients": [{"events": {kind: n}, "connects": n, "errors": n}, ...], "at": wall time}``.

With ``--track DIGITS`` each client also notes, per caller whose number (digits only) starts with DIGITS, the
wall time it first received an event showing that caller waiting in a queue (``queue`` event) and talking to
a taker (``call`` event, state ``talking``): ``"joined"`` and ``"answered"`` maps, for the SSE lag (lag.py).
A queue event lists every waiting caller (hundreds in a surge): a regular expression picks the numbers out
instead of parsing the whole JSON, so that this client does not fall behind what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx

_NUMBER = re.compile(r'"caller_number":\s*"([^"]*)"')  # json.dumps or compact (orjson)


def digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _track(kind: str, data: str, state: dict[str, Any], prefix: str) -> None:
    """Note when this client first saw a tracked caller waiting (queue) or talking (call)."""
    now = time.time()
    if kind == "queue":
        for number in _NUMBER.findall(data):
            key = digits(number)
            if key.startswith(prefix) and key not in state["joined"]:
                state["joined"][key] = now
    elif kind == "call" and '"talking"' in data:
        call = json.loads(data)
        key = digits(call.get("caller_number") or "")
        if call.get("state") == "talking" and key.startswith(prefix) and key not in state["answered"]:
            state["answered"][key] = now


async def _client(base_url: str, token_file: Path, state: dict[str, Any], stop: asyncio.Event,
                  track: str | None) -> None:
    events: dict[str, int] = state["events"]
    while not stop.is_set():
        try:
            token = (await asyncio.to_thread(token_file.read_text)).strip()  # rewritten at every ec112 start
            headers = {"Authorization": f"Bearer {token}"}
            timeout = httpx.Timeout(5, read=60)
            async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client, \
                    client.stream("GET", "/api/events", headers=headers) as response:
                response.raise_for_status()
                state["connects"] += 1
                kind = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                        events[kind] = events.get(kind, 0) + 1
                    elif track is not None and line.startswith("data:"):
                        _track(kind, line[5:], state, track)
        except (httpx.HTTPError, OSError):
            state["errors"] += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await stop.wait()


def _write(out: Path, clients: list[dict[str, Any]]) -> None:
    temp = out.with_suffix(".tmp")
    temp.write_text(json.dumps({"clients": clients, "at": time.time()}))
    temp.replace(out)


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    clients: list[dict[str, Any]] = [{"events": {}, "connects": 0, "errors": 0} for _ in range(args.clients)]
    if args.track is not None:
        for state in clients:
            state.update(joined={}, answered={})
    tasks = [asyncio.create_task(_client(args.base_url, args.token_file, state, stop, args.track))
             for state in clients]
    while not stop.is_set():
        _write(args.out, clients)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _write(args.out, clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("token_file", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--track", help="digits a tracked caller number starts with (SSE lag)")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

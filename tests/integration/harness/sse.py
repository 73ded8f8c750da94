"""Read ec112's live stream (SSE /api/events) in a background thread, as a panel would."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx


class SseRecorder:
    """Records every (event, data) of ``/api/events`` until ``stop()``; fails loudly on a refused stream."""

    def __init__(self, base_url: str, headers: dict[str, str], *, read_timeout: float = 60.0) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(base_url, headers, read_timeout), daemon=True)
        self._thread.start()

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def stop(self) -> None:
        self._stop.set()

    def _read(self, base_url: str, headers: dict[str, str], read_timeout: float) -> None:
        try:
            with httpx.stream("GET", f"{base_url}/api/events", headers=headers,
                              timeout=httpx.Timeout(5, read=read_timeout)) as response:
                response.raise_for_status()
                event = ""
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:"):
                        self.events.append((event, json.loads(line.split(":", 1)[1])))
                    if self._stop.is_set():
                        return
        except httpx.HTTPError as exc:  # surfaced by the test through .error, not lost in a thread
            self.error = exc


def agent_of(agents: list[dict[str, Any]], endpoint: str) -> dict[str, Any]:
    """One call taker of ``GET /api/agents``, or ``{"state": "absent"}``."""
    return next((a for a in agents if a["endpoint"] == endpoint), {"state": "absent"})

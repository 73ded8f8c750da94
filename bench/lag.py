"""SSE lag: how far the live stream (what a call taker's browser sees) is behind Asterisk.

For each tracked caller and each of two moments — Asterisk puts the caller in the queue (AMI
``QueueCallerJoin``) and connects it to a taker (``AgentConnect``) — the lag is the wall time an SSE client
first received an event showing that moment (the caller in a ``queue`` event's waiting list; a ``call`` event
with state ``talking``) minus the event's Asterisk timestamp (amiwatch.py, sse.py). One sample per client,
caller and moment. A caller answered so fast that ec112's 50 ms presence window never showed it waiting gives
no join sample (its answer sample still counts); a moment Asterisk saw that a client NEVER showed is counted
as ``unseen`` — the stream lost it, which no percentile may hide.
"""

from __future__ import annotations

from typing import Any

from .stats import percentile

MOMENTS = ("joined", "answered")


def sse_lag(ami: dict[str, Any], sse: dict[str, Any]) -> dict[str, Any]:
    samples: dict[str, list[float]] = {moment: [] for moment in MOMENTS}
    unseen = coalesced = 0
    for client in sse.get("clients", []):
        for moment in MOMENTS:
            for number, at in ami.get(moment, {}).items():
                shown = client.get(moment, {}).get(number)
                if shown is not None:
                    samples[moment].append((shown - at) * 1000)
                elif moment == "joined" and number in client.get("answered", {}):
                    coalesced += 1
                else:
                    unseen += 1
    every = samples["joined"] + samples["answered"]
    return {
        "samples": len(every), "unseen": unseen, "join_not_shown_waiting": coalesced,
        "asterisk_moments": {moment: len(ami.get(moment, {})) for moment in MOMENTS},
        "ami_errors": ami.get("errors"),
        **_pcts(every),
        **{moment: _pcts(values) for moment, values in samples.items()},
    }


def _pcts(values: list[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 1)
    return {"p50_ms": r(percentile(values, 0.5)), "p99_ms": r(percentile(values, 0.99)),
            "max_ms": r(max(values) if values else None)}

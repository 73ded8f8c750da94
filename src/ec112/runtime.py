"""How the worker process runs: on which event loop, at which CPU priority.

The loop: uvloop when it is installed, else the standard library's. Why: a call's work in the worker is mostly
small socket reads and writes (AMI events, the FastAGI dialogue, SSE) and wake-ups from the database thread;
uvloop (libuv) does those in C. Measured by ``make bench`` (issue 16).
The standard loop stays the fallback (``event_loop = "asyncio"``) and is what a platform without uvloop gets.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """``auto``: uvloop if importable; ``uvloop``: uvloop or a warning and the standard loop; ``asyncio``: standard."""
    if choice != "asyncio":
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            if choice == "uvloop":
                log.warning("event_loop = uvloop but uvloop is not installed: running on asyncio's own loop")
        else:
            log.info("event loop: uvloop %s", getattr(uvloop, "__version__", ""))
            factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
            return factory
    log.info("event loop: asyncio")
    return asyncio.new_event_loop


def yield_cpu_to_asterisk(niceness: int) -> None:
    """Run the worker ``niceness`` steps below Asterisk's CPU priority (Asterisk runs at 0).

    Why: on the 2 cores a centre's server may have, Asterisk and ec112 compete for the CPU at a surge, and it is
    Asterisk that carries the calls. With ec112 niced, a worker that falls behind slows only itself (its tickets
    come later, from the AMI path if the intake's deadline passes), never a caller's call (issue 16: "overload
    never costs a call"). An already higher niceness (set by systemd or the admin) is kept.
    """
    if niceness <= 0:
        return
    try:
        current = os.nice(0)
        if current < niceness:
            os.nice(niceness - current)
        log.info("worker CPU priority: nice %d (Asterisk goes first under load)", os.nice(0))
    except OSError as exc:  # not permitted in some containers: run as is
        log.warning("could not lower the worker's CPU priority (%s)", exc)


def run_worker(main: Coroutine[Any, Any, None], *, event_loop: str, nice: int) -> None:
    """Run the daemon's coroutine to its end on the chosen loop, at the chosen priority."""
    yield_cpu_to_asterisk(nice)
    with asyncio.Runner(loop_factory=loop_factory(event_loop)) as runner:
        runner.run(main)

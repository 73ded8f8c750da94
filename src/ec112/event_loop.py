"""Which event loop the worker runs on: uvloop when it is installed, else the standard library's.

Why: a call's work in the worker is mostly small socket reads and writes (AMI events, the FastAGI dialogue, SSE)
and wake-ups from the database thread; uvloop (libuv) does those in C. Measured by ``make bench`` (issue 16).
The standard loop stays the fallback (``event_loop = "asyncio"``) and is what a platform without uvloop gets.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable

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

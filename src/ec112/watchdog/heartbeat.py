"""The worker's side of the watchdog pipe (see ``supervisor.py``): heartbeats, and "ready" once.

Every ``interval`` the event loop writes ``BEAT`` to the pipe the supervisor gave it; once the worker serves
(FastAGI listening, web up) the next write is ``READY`` instead, which the supervisor passes on to systemd
(``READY=1``). A beat written from the event loop proves the loop runs: a blocked loop writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)
WATCHDOG_FD_ENV = "EC112_WATCHDOG_FD"
BEAT = b"."
READY = b"R"


async def heartbeat(interval: float, stop: asyncio.Event, ready: asyncio.Event) -> None:
    """Tell the supervisor the event loop is alive, and when the worker is ready.

    Without a supervisor the worker is unguarded against freezes; rather than crash on the broken pipe,
    it shuts down cleanly so that a restarted supervisor can start a guarded worker on the same ports.
    """
    fd_text = os.environ.get(WATCHDOG_FD_ENV)
    if not fd_text:
        return
    fd = int(fd_text)
    os.set_blocking(fd, False)
    announced = False
    while True:
        payload = READY if ready.is_set() and not announced else BEAT
        try:
            os.write(fd, payload)
            announced = announced or payload == READY
        except BlockingIOError:
            pass  # the supervisor is busy; the pipe holds plenty of beats
        except OSError as exc:
            log.error("the supervisor is gone (%s): stopping this worker", type(exc).__name__)
            stop.set()
            return
        await asyncio.sleep(interval)


async def mark_ready(is_up: Callable[[], bool], ready: asyncio.Event, poll: float = 0.05) -> None:
    """Set ``ready`` once ``is_up()`` (e.g. the web server has started)."""
    while not is_up():  # noqa: ASYNC110 - uvicorn.Server.started is a plain flag, no event to await
        await asyncio.sleep(poll)
    ready.set()

"""A set of background tasks a service owns: started, tracked until done, finished (or cancelled) at shutdown.

No fire-and-forget task in ec112: whoever starts work that outlives a request keeps it here, so that shutdown
waits for it within a grace period and a task is never garbage-collected mid-flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in a tracked task (it must handle its own exceptions: nobody awaits its result)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every task in flight, including those started meanwhile (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109 - a shutdown grace, not a network wait
        """Finish the tasks in flight within ``timeout`` seconds, cancel what is left."""
        try:
            async with asyncio.timeout(timeout):
                await self.drain()
        except TimeoutError:
            for task in self._tasks:
                task.cancel()

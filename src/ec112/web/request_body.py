"""A request body read with a cap: refused as soon as it is larger, never held in memory whole.

Shared by the uploads that take a raw body (AML from handsets, responders' photos). A Content-Length that is
not a number, or larger than the cap, is refused before a byte is read.
"""

from __future__ import annotations

from starlette.requests import Request


async def read_capped(request: Request, cap: int) -> bytes | None:
    """The body, or None as soon as it is (or declares to be) longer than ``cap``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > cap):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

"""A real HTTP server on a free loopback port, in a thread, for browser tests.

`serve(app)` runs any ASGI app (a Starlette/FastAPI app, a StaticFiles mount) under uvicorn, the
way encode/uvicorn's own tests do, and yields its base URL. The port is taken by binding port 0,
so parallel runs never collide; the server is stopped at exit (bounded graceful shutdown).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


def web_static_dir() -> Path:
    """src/ec112/web/static (wherever ec112 is installed from)."""
    return Path(str(files("ec112.web") / "static"))


@contextmanager
def serve(app: ASGIApp, *, start_timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` on http://127.0.0.1:<free port>; yields the base URL (no trailing slash)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"e2e-http-{port}",
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the test HTTP server on port {port} exited while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the test HTTP server on port {port} did not start in {start_timeout} s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

"""A TCP proxy for fault tests that can turn the connections through it half-open.

Why: a cable cut, a NAT or firewall that forgets a flow, or a peer host that freezes leave a TCP
connection that neither end sees closing: writes are buffered, reads never return, no FIN, no RST. That is
what ec112's AMI client must detect by itself (a Pong deadline), and it cannot be produced by stopping
Asterisk (which closes its sockets). The proxy sits between ec112 and Asterisk's AMI port:

- ``freeze()``: every connection stops forwarding in both directions, and is kept open (nothing is read
  or written any more, so each end's kernel just buffers); connections accepted from now on are held the
  same way (the link is down, but the handshake still completes, as through a stateful middlebox).
- ``restore()``: new connections are forwarded again; the frozen ones stay frozen and open (the
  half-open remnants), until ``close()``.

Plain threads: it must keep working whatever ec112 (asyncio) does, and the test itself is synchronous.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

_POLL = 0.05


@dataclass
class _Link:
    client: socket.socket
    upstream: socket.socket | None
    frozen: bool
    closed: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.upstream):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


class TcpProxy:
    """127.0.0.1:<port> → target_host:target_port; ``port`` is free and chosen by the kernel."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._holding = False  # new connections are held (frozen) instead of forwarded
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accepted = 0  # connections accepted so far
        self.forwarded = 0  # ... of which connected through to the target
        self._spawn(self._accept_loop, "tcp-proxy-accept")

    # --- control ------------------------------------------------------------------------------------------
    def freeze(self) -> int:
        """Stop forwarding on every connection, keeping them open; hold new ones too. Returns how many froze."""
        with self._lock:
            self._holding = True
            live = [link for link in self._links if not link.closed.is_set()]
            for link in live:
                link.frozen = True
        return len(live)

    def restore(self) -> None:
        """Forward new connections again (the frozen ones stay frozen and open)."""
        with self._lock:
            self._holding = False

    def close(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- work ---------------------------------------------------------------------------------------------
    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            with self._lock:
                self.accepted += 1
                holding = self._holding
            upstream = None
            if not holding:
                try:
                    upstream = socket.create_connection(self.target, timeout=3)
                except OSError:
                    client.close()  # the target is down: refuse, as a direct connection would be
                    continue
            link = _Link(client, upstream, frozen=holding)
            with self._lock:
                self._links.append(link)
                if upstream is not None:
                    self.forwarded += 1
            if upstream is not None:
                self._spawn(self._pump, "tcp-proxy-up", link, client, upstream)
                self._spawn(self._pump, "tcp-proxy-down", link, upstream, client)

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket) -> None:
        """Copy source → sink until either end closes; once frozen, touch neither again (kept open)."""
        while not link.closed.is_set() and not self._stopped.is_set():
            if link.frozen:
                link.closed.wait(_POLL)
                continue
            try:
                readable, _, _ = select.select([source], [], [], _POLL)
                if not readable or link.frozen:
                    continue
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
            except OSError:
                break
        if not link.frozen:
            link.close()  # a normal end (EOF or error) is passed on as a close of both sides

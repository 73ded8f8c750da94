"""systemd's service notification protocol (sd_notify(3)) without a dependency.

A message is one datagram of ``KEY=VALUE`` lines sent to the AF_UNIX socket named by ``$NOTIFY_SOCKET``
(a path, or ``@name`` for an abstract socket). ``Type=notify`` waits for ``READY=1``; ``WatchdogSec=``
expects ``WATCHDOG=1`` at least every ``$WATCHDOG_USEC`` microseconds (we send at half that), else it
kills and restarts the service. Without ``$NOTIFY_SOCKET`` (not under systemd) every call is a no-op.

Used by the supervisor (``ec112 serve``), the unit's main process (``NotifyAccess=main``); the worker's
environment is cleaned of these variables so that it never speaks for the service.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)
SYSTEMD_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``); False when there is no socket or it could not be sent."""
    address = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        target = "\0" + address[1:]  # Linux abstract namespace
    elif address.startswith("/"):
        target = address
    else:
        return False  # unset, or a kind of socket we do not speak (vsock:…)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(1.0)
            sock.connect(target)
            sock.sendall(message.encode())
    except OSError as exc:
        log.debug("sd_notify %r failed: %s", message, exc)
        return False
    return True


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """systemd's watchdog period in seconds, when it is meant for this process (``WATCHDOG_PID``)."""
    values = os.environ if env is None else env
    try:
        usec = int(values.get("WATCHDOG_USEC", "0"))
        owner = int(values.get("WATCHDOG_PID", "0") or "0")
    except ValueError:
        return None
    if usec <= 0 or (owner and owner != (os.getpid() if pid is None else pid)):
        return None
    return usec / 1_000_000


class SystemdNotifier:
    """READY once, STATUS as it changes, WATCHDOG at half the period while the caller says all is well."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._period = watchdog_interval(self._env)
        self._last_pet = float("-inf")
        self.ready_sent = False

    @property
    def active(self) -> bool:
        return bool(self._env.get("NOTIFY_SOCKET"))

    def ready(self, status: str) -> None:
        if not self.ready_sent:
            self.ready_sent = notify(f"READY=1\nSTATUS={status}", self._env)
        else:
            self.status(status)

    def status(self, text: str) -> None:
        notify(f"STATUS={text}", self._env)

    def stopping(self) -> None:
        notify("STOPPING=1", self._env)

    def pet(self, now: float) -> bool:
        """WATCHDOG=1 if half a period has passed since the last one; True when one was sent."""
        if self._period is None or now - self._last_pet < self._period / 2:
            return False
        if notify("WATCHDOG=1", self._env):
            self._last_pet = now
            return True
        return False


def without_systemd(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less the notify variables (for a child that must not speak for the service)."""
    return {k: v for k, v in env.items() if k not in SYSTEMD_ENV}

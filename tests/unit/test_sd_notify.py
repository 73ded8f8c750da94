"""sd_notify over a real AF_UNIX datagram socket (a path in a temp dir, and an abstract one), and the
supervisor speaking for the service: READY=1 once its worker serves, WATCHDOG=1 while it makes progress,
STOPPING=1 on the way out; the worker itself never sees $NOTIFY_SOCKET (NotifyAccess=main)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ec112.watchdog.sd_notify import SystemdNotifier, notify, watchdog_interval, without_systemd


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.2)
    yield str(path), sock
    sock.close()


def received(sock: socket.socket, seconds: float) -> list[str]:
    end, messages = time.monotonic() + seconds, []
    while time.monotonic() < end:
        with contextlib.suppress(TimeoutError):
            messages.append(sock.recv(4096).decode())
    return messages


def received_until(sock: socket.socket, done: Callable[[list[str]], bool], timeout: float) -> list[str]:
    """Messages until ``done`` says so (or ``timeout``): a loaded machine starts Python slower, never faster."""
    end, messages = time.monotonic() + timeout, []
    while time.monotonic() < end and not done(messages):
        with contextlib.suppress(TimeoutError):
            messages.append(sock.recv(4096).decode())
    return messages


def test_notify_to_a_path_socket(listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    assert notify("READY=1\nSTATUS=ok", {"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1\nSTATUS=ok"


def test_notify_to_an_abstract_socket() -> None:
    name = f"ec112-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(1)
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_systemd_notify_is_a_no_op(tmp_path: Path) -> None:
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": "vsock:2:1234"}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")}) is False


def test_watchdog_interval() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "10000000"}) == 10.0
    assert watchdog_interval({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "42"}, pid=42) == 10.0
    assert watchdog_interval({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "43"}, pid=42) is None  # not ours
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_pets_at_half_the_period(listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
    assert notifier.pet(100.0) is True
    assert notifier.pet(100.5) is False
    assert notifier.pet(101.0) is True
    assert received(sock, 0.3) == ["WATCHDOG=1", "WATCHDOG=1"]
    assert without_systemd({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1", "PATH": "/bin"}) == {
        "PATH": "/bin"}


FAKE_WORKER = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    Path(sys.argv[1]).write_text(os.environ.get("NOTIFY_SOCKET", "-"))
    fd = int(os.environ["EC112_WATCHDOG_FD"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    for _ in range(10):  # starting: beats, not ready yet
        os.write(fd, b"."); time.sleep(0.1)
    os.write(fd, b"R")
    while True:
        os.write(fd, b"."); time.sleep(0.1)
""")


def test_supervisor_tells_systemd(tmp_path: Path, listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    worker = tmp_path / "worker.py"
    worker.write_text(FAKE_WORKER)
    seen = tmp_path / "worker-saw"
    driver = ("import sys; from pathlib import Path; from ec112.config.ops_settings import WatchdogSettings; "
              "from ec112.watchdog.supervisor import run_supervised; "
              f"sys.exit(run_supervised(WatchdogSettings(timeout=1.0), [sys.executable, {str(worker)!r}, "
              f"{str(seen)!r}], Path({str(tmp_path / 'worker.pid')!r})))")
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}  # pet every 0.2 s
    supervisor = subprocess.Popen([sys.executable, "-c", driver], env=env)
    try:
        # the worker beats for 1 s before it is ready: systemd hears WATCHDOG=1 before READY=1
        first = received_until(sock, lambda ms: "WATCHDOG=1" in ms or any(m.startswith("READY=1") for m in ms), 10)
        assert first, "no message from the supervisor within 10 s"
        assert first[-1] == "WATCHDOG=1", first  # a worker in its start-up grace is progress
        until_ready = received_until(sock, lambda ms: any(m.startswith("READY=1") for m in ms), 10)
        ready = [m for m in until_ready if m.startswith("READY=1")]
        assert len(ready) == 1, until_ready
        assert "STATUS=worker" in ready[0]
        later = received(sock, 1.2)  # petted every 0.2 s
        assert later.count("WATCHDOG=1") >= 3, later
        assert not any(m.startswith("READY=1") for m in later)  # said once
        assert seen.read_text() == "-"  # NotifyAccess=main: the worker must not speak for the service

        supervisor.send_signal(signal.SIGSTOP)  # a frozen supervisor feeds systemd's watchdog no more
        received(sock, 0.3)  # drain what was in flight
        assert "WATCHDOG=1" not in received(sock, 1.0)
        supervisor.send_signal(signal.SIGCONT)
        assert "WATCHDOG=1" in received(sock, 1.0)

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=10) == 0
        assert "STOPPING=1" in received(sock, 0.5)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        pid_file = tmp_path / "worker.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)

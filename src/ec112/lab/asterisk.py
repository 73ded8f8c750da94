"""Run a private Asterisk (16 on the host, or 22 in a chroot) as a child process.

Why: tests, the lab and the benchmark each need their own Asterisk on free loopback ports,
started in a fraction of a second and stopped by PID, never the system service. Asterisk runs in
the foreground (`-f`) so the child *is* Asterisk (`chroot` execs it) and SIGTERM stops it cleanly.
Readiness is `core waitfullybooted` polled over the control socket: the socket appears only some
milliseconds after the process starts, so a single `-rx` straight after the start can fail.
Synchronous on purpose: it is test/lab plumbing, called from fixtures and the CLI.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

ASTERISK22_ROOT = Path("/var/lib/ec112/asterisk22")
ASTERISK22_READY_STAMP = ".ec112-ready"  # written by scripts/install.sh when the chroot is complete


class AsteriskNotInstalledError(RuntimeError):
    """The requested Asterisk flavor is not on this machine."""


class AsteriskStartError(RuntimeError):
    """Asterisk did not boot, or booted without a module ec112 needs."""


@dataclass(frozen=True)
class AsteriskFlavor:
    """Which Asterisk binary to run and where it finds its modules (as Asterisk sees it)."""

    name: str
    modules_dir: str
    chroot_root: Path | None = None

    @classmethod
    def by_name(cls, name: str) -> AsteriskFlavor:
        if name == "16":
            return cls(name="16", modules_dir="/usr/lib/asterisk/modules")
        if name == "22":
            # Debian >= 12 packages put modules under the multiarch path (x86_64-linux-gnu, ...).
            found = sorted(ASTERISK22_ROOT.glob("usr/lib/*/asterisk/modules"))
            inside = "/" + str(found[0].relative_to(ASTERISK22_ROOT)) if found else (
                "/usr/lib/x86_64-linux-gnu/asterisk/modules")
            return cls(name="22", modules_dir=inside, chroot_root=ASTERISK22_ROOT)
        raise ValueError(f"unknown Asterisk flavor {name!r}: use '16' or '22'")

    def ensure_installed(self) -> None:
        """Raise AsteriskNotInstalledError with the command that fixes it."""
        if self.chroot_root is None:
            if shutil.which("asterisk") is None and not Path("/usr/sbin/asterisk").exists():
                raise AsteriskNotInstalledError(
                    "Asterisk 16 is not installed: run `sudo scripts/install.sh`")
            return
        if not (self.chroot_root / ASTERISK22_READY_STAMP).exists() or not (
                self.chroot_root / "usr/sbin/asterisk").exists():
            raise AsteriskNotInstalledError(
                f"Asterisk 22 chroot missing at {self.chroot_root}: run `sudo scripts/install.sh --asterisk22`")
        if shutil.which("chroot") is None:
            raise AsteriskNotInstalledError("the `chroot` command is missing (coreutils)")

    def lab_parent(self) -> Path:
        """Where a lab directory can live so that this Asterisk sees it (inside the chroot for 22)."""
        if self.chroot_root is None:
            return Path(tempfile.gettempdir())
        return self.chroot_root / "tmp"

    def command(self, *args: str) -> list[str]:
        """argv running `asterisk *args` for this flavor (through chroot for 22)."""
        if self.chroot_root is None:
            return ["asterisk", *args]
        return ["chroot", str(self.chroot_root), "asterisk", *args]

    def inside_path(self, host_path: Path) -> str:
        """A host path as Asterisk sees it (the chroot is its /)."""
        if self.chroot_root is None:
            return str(host_path)
        try:
            return "/" + str(host_path.resolve().relative_to(self.chroot_root.resolve()))
        except ValueError:
            raise ValueError(f"{host_path} is outside the Asterisk {self.name} chroot {self.chroot_root}") from None


class AsteriskProcess:
    """One private Asterisk running in the foreground; stop() or `with` ends it by PID."""

    def __init__(self, flavor: AsteriskFlavor, asterisk_conf: Path, *, output_path: Path | None = None,
                 boot_timeout: float = 15.0) -> None:
        self.flavor = flavor
        self.asterisk_conf = asterisk_conf  # host path
        self._conf_inside = flavor.inside_path(asterisk_conf)
        # Next to etc/: <lab>/log/asterisk.out holds stdout/stderr (console verbose + crashes).
        self.output_path = output_path or asterisk_conf.parent.parent / "log" / "asterisk.out"
        self.boot_timeout = boot_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start, wait until fully booted, and check that AGI is available (fail loudly)."""
        if self._proc is not None:
            raise RuntimeError("Asterisk already started")
        self.flavor.ensure_installed()
        self.output_path.parent.mkdir(parents=True, exist_ok=True)
        self._output = self.output_path.open("ab")
        self._proc = subprocess.Popen(
            self.flavor.command("-f", "-n", "-C", self._conf_inside),
            stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C on the test runner must not kill it half-way
        )
        try:
            self._wait_fully_booted()
            self._require_module_running("res_agi.so",
                                         "AGI() is missing: is res_speech.so loaded before res_agi.so?")
        except Exception:
            self.stop()
            raise

    def _wait_fully_booted(self) -> None:
        deadline = time.monotonic() + self.boot_timeout
        last = ""
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise AsteriskStartError(
                    f"Asterisk exited with {self._proc.returncode} while booting; see {self.output_path}\n"
                    + self.output_tail())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AsteriskStartError(
                    f"Asterisk not fully booted after {self.boot_timeout} s ({last.strip()}); "
                    f"see {self.output_path}\n" + self.output_tail())
            with contextlib.suppress(subprocess.TimeoutExpired):
                result = subprocess.run(
                    self.flavor.command("-C", self._conf_inside, "-rx", "core waitfullybooted"),
                    capture_output=True, timeout=min(remaining, 5.0), check=False)
                last = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
                if result.returncode == 0 and "fully booted" in last:
                    return
            time.sleep(0.02)

    def _require_module_running(self, module: str, hint: str) -> None:
        shown = self.rx(f"module show like {module.removesuffix('.so')}")
        if not any(module in line and "Running" in line for line in shown.splitlines()):
            raise AsteriskStartError(f"{module} is not Running ({hint}); module show says:\n{shown}")

    def rx(self, command: str, timeout: float = 10.0) -> str:
        """Run one CLI command over the control socket and return its output."""
        if not self.running:
            raise RuntimeError("Asterisk is not running")
        result = subprocess.run(self.flavor.command("-C", self._conf_inside, "-rx", command),
                                capture_output=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"asterisk -rx {command!r} failed ({result.returncode}): "
                               f"{result.stderr.decode(errors='replace').strip()}")
        return result.stdout.decode(errors="replace")

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, wait, SIGKILL if it does not go; returns the exit code (None if never started)."""
        proc, self._proc = self._proc, None
        code: int | None = None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=timeout)
            code = proc.returncode
        if self._output is not None:
            self._output.close()
            self._output = None
        return code

    def output_tail(self, max_bytes: int = 4000) -> str:
        """The end of Asterisk's console output, for error messages."""
        try:
            data = self.output_path.read_bytes()
        except OSError:
            return ""
        return data[-max_bytes:].decode(errors="replace")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

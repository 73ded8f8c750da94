"""The lab as pytest fixtures: a real, private Asterisk, SIPp phones and the ec112 daemon.

A plugin module (registered by tests/integration/conftest.py and tests/e2e/conftest.py), so the
integration and the browser tests share one definition of the stack.

EC112_TEST_ASTERISK picks the Asterisk flavor ("16" host package, default; "22" sid chroot).
A flavor that is not installed FAILS the tests (a skipped suite looks green in CI).
Each test gets its own Asterisk on free loopback ports, stopped by PID at teardown; when a test
fails, the Asterisk log paths and their tail are added to the report.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ec112.lab.asterisk import AsteriskFlavor, AsteriskNotInstalledError, AsteriskProcess
from ec112.lab.render import LabConfig, new_lab_config, render

from . import pg_fixtures
from .citizen import CitizenCall
from .daemon import Ec112Daemon
from .softphone import Softphone
from .taker import TakerPhone

_LAB_KEY = pytest.StashKey[tuple[LabConfig, AsteriskProcess]]()


def pytest_configure(config: pytest.Config) -> None:
    """The daemon's database fixtures (ec112_database_url, pg_server) come with the lab."""
    if not config.pluginmanager.is_registered(pg_fixtures):
        config.pluginmanager.register(pg_fixtures, "ec112-pg")


@pytest.fixture(scope="session")
def asterisk_flavor() -> AsteriskFlavor:
    name = os.environ.get("EC112_TEST_ASTERISK", "16")
    try:
        flavor = AsteriskFlavor.by_name(name)
        flavor.ensure_installed()
    except (ValueError, AsteriskNotInstalledError) as exc:
        pytest.fail(f"EC112_TEST_ASTERISK={name}: {exc}", pytrace=False)
    if shutil.which("sipp") is None:
        pytest.fail("sipp is not installed: run `sudo scripts/install.sh`", pytrace=False)
    return flavor


class Lab:
    """A running private Asterisk and its rendered configuration."""

    def __init__(self, config: LabConfig, process: AsteriskProcess, workdir: Path) -> None:
        self.config = config
        self.process = process
        self.workdir = workdir  # SIPp scenarios and traces

    @property
    def sip_port(self) -> int:
        return self.config.ports.sip

    def rx(self, command: str) -> str:
        return self.process.rx(command)


@pytest.fixture
def asterisk(asterisk_flavor: AsteriskFlavor, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Lab]:
    # Asterisk 22 runs in a chroot: its lab directory must be inside it.
    if asterisk_flavor.chroot_root is not None:
        asterisk_flavor.lab_parent().mkdir(exist_ok=True)
        lab_dir = Path(tempfile.mkdtemp(prefix="ec112-test-", dir=asterisk_flavor.lab_parent()))
    else:
        lab_dir = tmp_path / "asterisk"
    config = new_lab_config(lab_dir, flavor=asterisk_flavor)
    lab_marker = request.node.get_closest_marker("lab_config")  # e.g. {"recording_start": "answer"}
    if lab_marker is not None:
        config = dataclasses.replace(config, **lab_marker.args[0])
    process = AsteriskProcess(asterisk_flavor, render(config))
    request.node.stash[_LAB_KEY] = (config, process)
    process.start()
    try:
        yield Lab(config, process, tmp_path / "sipp")
    finally:
        process.stop()
        failed = getattr(request.node, "ec112_failed", False)
        if asterisk_flavor.chroot_root is not None and not failed:
            shutil.rmtree(lab_dir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    lab = item.stash.get(_LAB_KEY, None)
    if lab is not None and report.failed:
        item.ec112_failed = True  # type: ignore[attr-defined]  # keep the chroot lab dir
        config, process = lab
        tail = process.output_tail(3000)
        report.sections.append(("asterisk", f"messages.log: {config.messages_log}\n"
                                f"console: {process.output_path}\n--- console tail ---\n{tail}"))
    daemon = item.stash.get(_DAEMON_KEY, None)
    if daemon is not None and report.failed:
        report.sections.append(("ec112", f"log: {daemon.log_path}\n{daemon.log_tail()}"))
    return report


@pytest.fixture
def taker(asterisk: Lab) -> Iterator[Callable[..., TakerPhone]]:
    """taker("taker01", talk_ms=1000, max_calls=1) -> a registered, answering desk phone."""
    phones: list[TakerPhone] = []

    def make(name: str = "taker01", **kwargs: Any) -> TakerPhone:
        phone = TakerPhone(name, asterisk.config.endpoint_passwords[name], asterisk.sip_port,
                           asterisk.workdir, **kwargs)
        phones.append(phone)
        phone.register()
        return phone

    yield make
    for phone in phones:
        phone.stop()


@pytest.fixture
def citizen_call(asterisk: Lab) -> Iterator[Callable[..., CitizenCall]]:
    """citizen_call(caller_number=..., location=PidfPoint(...), hang_up_after_ms=...) -> started call."""
    calls: list[CitizenCall] = []

    def make(**kwargs: Any) -> CitizenCall:
        kwargs.setdefault("name", f"citizen{len(calls) + 1}")
        call = CitizenCall(asterisk.sip_port, asterisk.workdir, **kwargs)
        calls.append(call)
        return call

    yield make
    for call in calls:
        call.stop()


@pytest.fixture
def ec112(asterisk: Lab, tmp_path: Path, request: pytest.FixtureRequest,
          ec112_database_url: str | None) -> Iterator[Ec112Daemon]:
    """The real `ec112 serve` (watchdog + worker) attached to this test's Asterisk, ready (/readyz), on the
    database EC112_TEST_DATABASE names (SQLite under var/, or a fresh PostgreSQL database)."""
    env = request.node.get_closest_marker("ec112_env")
    daemon = Ec112Daemon(asterisk.config, tmp_path / "ec112", extra_env=env.args[0] if env else None,
                         database_url=ec112_database_url)
    request.node.stash[_DAEMON_KEY] = daemon
    marker = request.node.get_closest_marker("ec112_not_started")
    if marker is None:
        daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


_DAEMON_KEY = pytest.StashKey[Ec112Daemon]()


@pytest.fixture(autouse=True)
def _softphones_closed() -> Iterator[None]:
    """A pjsua2 softphone a test left open (a failed assertion) is hung up and its agent ended."""
    yield
    Softphone.close_all()

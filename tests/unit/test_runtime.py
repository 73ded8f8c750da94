"""How the worker runs (ec112/runtime.py): uvloop when installed, the standard loop on request or without it, and
below Asterisk's CPU priority."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys

import pytest
import uvloop

from ec112 import runtime


def test_auto_and_uvloop_run_on_uvloop_and_asyncio_on_the_standard_loop() -> None:
    for choice in ("auto", "uvloop"):
        loop = runtime.loop_factory(choice)()
        try:
            assert isinstance(loop, uvloop.Loop)
        finally:
            loop.close()
    loop = runtime.loop_factory("asyncio")()
    try:
        assert not isinstance(loop, uvloop.Loop)
        assert isinstance(loop, asyncio.AbstractEventLoop)
    finally:
        loop.close()


def test_without_uvloop_the_standard_loop_runs_and_a_requested_uvloop_is_a_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(runtime.importlib, "import_module", missing)
    with caplog.at_level(logging.INFO, logger="ec112.runtime"):
        assert runtime.loop_factory("auto") is asyncio.new_event_loop
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert runtime.loop_factory("uvloop") is asyncio.new_event_loop
    assert any("uvloop is not installed" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_the_worker_yields_the_cpu_and_keeps_a_higher_niceness_it_was_given() -> None:
    code = "import os; from ec112.runtime import yield_cpu_to_asterisk as y; y({n}); print(os.nice(0))"
    base = os.nice(0)  # the test run's own niceness (a CI runner may be niced already)
    for start, asked in ((0, base + 5), (base + 7, base + 5), (0, 0)):
        out = subprocess.run(["nice", "-n", str(start), sys.executable, "-c", code.format(n=asked)],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        assert int(out) == max(base + start, asked)

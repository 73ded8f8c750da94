"""ec112.logs: one dictConfig, the text and JSON formats, and the call bound to every record (contextvars)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from ec112.config.settings import load_settings
from ec112.logs import (
    NOISY_LIBRARIES,
    TEXT_FORMAT,
    CallContextFilter,
    JsonFormatter,
    TextFormatter,
    bind_call,
    bound_call,
    call_context,
    configure_logging,
)

LOGGER = "ec112.test_logs"


class Capture:
    """A handler as configure_logging builds it (the call filter, then a formatter) writing to a buffer."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.addFilter(CallContextFilter())
        self.handler.setFormatter(formatter)

    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(LOGGER)
    level, propagate = log.level, log.propagate
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    log.setLevel(level)
    log.propagate = propagate
    for handler in list(log.handlers):
        log.removeHandler(handler)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def capture(log: logging.Logger, formatter: logging.Formatter) -> Capture:
    cap = Capture(formatter)
    log.addHandler(cap.handler)
    return cap


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: put back what pytest had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LIBRARIES}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)


# --- the binding --------------------------------------------------------------------------------------------


def test_records_inside_a_call_carry_it_and_records_outside_do_not(logger: logging.Logger) -> None:
    cap = capture(logger, JsonFormatter())
    logger.info("before")
    with call_context(linkedid="lab-1795820610.7"):
        logger.info("read")
        bind_call(ticket="112-261127-00042")
        logger.info("opened")
    logger.info("after")
    before, read, opened, after = (json.loads(line) for line in cap.lines())
    assert "linkedid" not in before
    assert "ticket" not in before
    assert (read["linkedid"], "ticket" in read) == ("lab-1795820610.7", False)
    assert (opened["linkedid"], opened["ticket"]) == ("lab-1795820610.7", "112-261127-00042")
    assert "linkedid" not in after
    assert "ticket" not in after
    assert bound_call().fields() == {}


def test_the_filter_sets_empty_fields_when_unbound_and_explicit_extra_wins(logger: logging.Logger) -> None:
    handler = Records()
    handler.addFilter(CallContextFilter())
    logger.addHandler(handler)
    logger.info("unbound")
    with call_context(linkedid="lab-1.7", ticket="112-261127-00001"):
        logger.info("bound")
        logger.info("explicit", extra={"linkedid": "lab-2.9"})
    assert [(r.linkedid, r.ticket) for r in handler.records] == [  # type: ignore[attr-defined]
        ("", ""), ("lab-1.7", "112-261127-00001"), ("lab-2.9", "112-261127-00001")]


def test_a_new_call_context_does_not_inherit_the_outer_ticket() -> None:
    with call_context(linkedid="lab-1.7", ticket="112-261127-00001"):
        with call_context(linkedid="lab-2.9"):
            assert bound_call().fields() == {"linkedid": "lab-2.9"}
        assert bound_call().fields() == {"linkedid": "lab-1.7", "ticket": "112-261127-00001"}


async def test_asyncio_tasks_keep_their_own_call(logger: logging.Logger) -> None:
    cap = capture(logger, JsonFormatter())
    both_bound = asyncio.Barrier(2)

    async def handle(linkedid: str, ticket: str) -> None:
        with call_context(linkedid=linkedid):
            await both_bound.wait()  # the two calls are bound at the same time
            bind_call(ticket=ticket)
            await asyncio.sleep(0)
            logger.info("call %s", linkedid)

    with call_context(linkedid="outer"):
        await asyncio.gather(handle("lab-1.7", "112-261127-00001"), handle("lab-2.9", "112-261127-00002"))
        assert bound_call().fields() == {"linkedid": "outer"}  # the tasks' bindings stay theirs
    entries = sorted((json.loads(line) for line in cap.lines()), key=lambda e: e["linkedid"])
    assert [(e["message"], e["linkedid"], e["ticket"]) for e in entries] == [
        ("call lab-1.7", "lab-1.7", "112-261127-00001"), ("call lab-2.9", "lab-2.9", "112-261127-00002")]


async def test_a_task_started_inside_a_call_inherits_it(logger: logging.Logger) -> None:
    cap = capture(logger, TextFormatter())
    with call_context(linkedid="lab-1.7"):
        child = asyncio.create_task(_log_later(logger))
    await child  # runs after the with block: the task copied the context when it was created
    assert cap.lines()[0].endswith("INFO ec112.test_logs: later [linkedid=lab-1.7]")


async def _log_later(logger: logging.Logger) -> None:
    await asyncio.sleep(0)
    logger.info("later")


# --- the formats --------------------------------------------------------------------------------------------


def _record(message: str = "ticket %s opened", *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("ec112.services.intake", logging.INFO, __file__, 1, message, args or None, exc_info)


def _filtered(record: logging.LogRecord) -> logging.LogRecord:
    CallContextFilter().filter(record)
    return record


def test_text_format_is_unchanged_when_no_call_is_bound() -> None:
    for exc in (False, True):
        record = _record("ticket %s opened", "112-1", exc=exc)
        today = logging.Formatter(TEXT_FORMAT).format(record)  # what basicConfig's formatter wrote
        assert TextFormatter().format(_filtered(record)) == today
    line = TextFormatter().format(_filtered(_record("ticket %s opened", "112-1")))
    assert line.endswith(" INFO ec112.services.intake: ticket 112-1 opened")


def test_text_format_appends_the_bound_call_after_the_message_not_after_the_traceback() -> None:
    with call_context(linkedid="lab-1.7", ticket="112-261127-00001"):
        text = TextFormatter().format(_filtered(_record("write failed", exc=True)))
    first, *rest = text.splitlines()
    assert first.endswith("INFO ec112.services.intake: write failed [linkedid=lab-1.7 ticket=112-261127-00001]")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: boom"
    with call_context(linkedid="lab-1.7"):
        assert TextFormatter().format(_filtered(_record("x"))).endswith(": x [linkedid=lab-1.7]")


def test_json_format_is_one_object_per_line_with_its_fields() -> None:
    formatter = JsonFormatter()
    with call_context(linkedid="lab-1.7", ticket="112-261127-00001"):
        bound = formatter.format(_filtered(_record("two\nlines, \"quoted\", Señor %s", "Budi")))
    unbound = formatter.format(_filtered(_record("plain")))
    failed = formatter.format(_filtered(_record("write failed", exc=True)))
    for line in (bound, unbound, failed):
        assert "\n" not in line
        assert line.isascii()
    entry = json.loads(bound)
    assert set(entry) == {"time", "level", "logger", "message", "linkedid", "ticket"}
    assert entry["message"] == 'two\nlines, "quoted", Señor Budi'
    assert (entry["level"], entry["logger"]) == ("INFO", "ec112.services.intake")
    assert (entry["linkedid"], entry["ticket"]) == ("lab-1.7", "112-261127-00001")
    assert entry["time"].endswith("Z")
    assert "T" in entry["time"]
    assert datetime.fromisoformat(entry["time"]).utcoffset() is not None  # ISO 8601 with its zone (UTC)
    assert set(json.loads(unbound)) == {"time", "level", "logger", "message"}
    exc_entry = json.loads(failed)
    assert exc_entry["exc_info"].startswith("Traceback")
    assert exc_entry["exc_info"].endswith("ValueError: boom")


# --- configure_logging: one dictConfig ----------------------------------------------------------------------


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_text(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "text")
    root = logging.getLogger()
    assert root.level == logging.INFO
    [handler] = root.handlers
    assert any(isinstance(f, CallContextFilter) for f in handler.filters)
    for name in NOISY_LIBRARIES:
        assert logging.getLogger(name).level == logging.WARNING
    log = logging.getLogger("ec112.agi.intake_route")
    log.debug("not shown")
    log.info("shown")
    with call_context(linkedid="lab-1.7"):
        log.warning("bound")
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 2)[2] for line in err] == [
        "INFO ec112.agi.intake_route: shown", "WARNING ec112.agi.intake_route: bound [linkedid=lab-1.7]"]


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", "json")
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")  # library chatter stays out
    with call_context(linkedid="lab-1.7", ticket="112-261127-00001"):
        logging.getLogger("ec112.services.call_tracking").debug("applied")
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert (entry["logger"], entry["level"], entry["message"]) == ("ec112.services.call_tracking", "DEBUG", "applied")
    assert (entry["linkedid"], entry["ticket"]) == ("lab-1.7", "112-261127-00001")


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="xml"):
        configure_logging("INFO", "xml")  # type: ignore[arg-type]


# --- settings -------------------------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("EC112_LAB_MODE", "1")


@pytest.mark.usefixtures("clean_env")
def test_log_format_defaults_to_text_and_log_level_stays_top_level() -> None:
    settings = load_settings()
    assert (settings.log.format, settings.log_level) == ("text", "INFO")


@pytest.mark.usefixtures("clean_env")
def test_log_format_from_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ec112.toml"
    config.write_text('log_level = "DEBUG"\nlog_personal_data = false\n[log]\nformat = "json"\n')
    settings = load_settings(config)
    assert (settings.log.format, settings.log_level) == ("json", "DEBUG")
    monkeypatch.setenv("EC112_LOG__FORMAT", "text")
    monkeypatch.setenv("EC112_LOG_LEVEL", "WARNING")
    settings = load_settings(config)
    assert (settings.log.format, settings.log_level) == ("text", "WARNING")  # env wins, both names still work


@pytest.mark.usefixtures("clean_env")
def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_LOG__FORMAT", "xml")
    with pytest.raises(ValidationError, match=r"log\.format"):
        load_settings()

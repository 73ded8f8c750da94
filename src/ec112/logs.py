"""Logging: one ``dictConfig`` for every ec112 process, and the call each log record belongs to.

A root-level module on purpose, and standard library only: the services bind the call they are handling
(``call_context``, ``bind_call``) without importing any adapter, and the adapters (FastAGI, CLI) use the same
binding. The binding lives in a ``ContextVar``, so each asyncio task (one per FastAGI connection, the AMI
event consumer) carries its own call and a task inherits the binding of the code that created it.

``CallContextFilter`` copies the bound Linkedid and ticket number onto every record that reaches the
configured handler (empty strings when unbound). The text format is the historical one, with
`` [linkedid=… ticket=…]`` appended only when a call is bound; the JSON format writes one object per line.

Neither field is personal data: a Linkedid is Asterisk's channel id (system name, time, sequence), a ticket
number is ec112's own. Caller numbers and locations stay out of INFO unless ``log_personal_data`` is set
(UU 27/2022): that rule is the callers' business (``IntakeService``), not this module's.
"""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "NOISY_LIBRARIES",
    "TEXT_FORMAT",
    "BoundCall",
    "CallContextFilter",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "bind_call",
    "bound_call",
    "call_context",
    "configure_logging",
    "logging_config",
]

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Library chatter (every SQL statement, every HTTP request) drowns the call log even at DEBUG.
NOISY_LIBRARIES = ("aiosqlite", "sqlalchemy", "asyncio", "uvicorn.access", "httpx", "httpcore")
CALL_FIELDS = ("linkedid", "ticket")


@dataclass(frozen=True, slots=True)
class BoundCall:
    """The call the current task is handling; empty strings when unknown."""

    linkedid: str = ""
    ticket: str = ""

    def fields(self) -> dict[str, str]:
        """The bound fields only, in a fixed order."""
        return {name: value for name, value in (("linkedid", self.linkedid), ("ticket", self.ticket)) if value}


_NO_CALL = BoundCall()
_call: ContextVar[BoundCall] = ContextVar("ec112_call", default=_NO_CALL)


def bound_call() -> BoundCall:
    return _call.get()


def bind_call(*, linkedid: str | None = None, ticket: str | None = None) -> Token[BoundCall]:
    """Add to the current binding what has just become known (``None`` keeps a field as it is).

    Inside ``call_context`` there is nothing to undo: leaving it restores what was bound before it.
    """
    current = _call.get()
    changes = {name: value for name, value in (("linkedid", linkedid), ("ticket", ticket)) if value is not None}
    return _call.set(replace(current, **changes))


@contextmanager
def call_context(*, linkedid: str = "", ticket: str = "") -> Iterator[BoundCall]:
    """Bind one call (only the fields given: nothing of an outer call leaks in) for the ``with`` block."""
    token = _call.set(BoundCall(linkedid=linkedid or "", ticket=ticket or ""))
    try:
        yield _call.get()
    finally:
        _call.reset(token)


class CallContextFilter(logging.Filter):
    """Sets ``record.linkedid`` and ``record.ticket`` from the binding (an explicit ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = _call.get()
        for name in CALL_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, getattr(call, name))
        return True


def _record_call_fields(record: logging.LogRecord) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name in CALL_FIELDS:
        value = getattr(record, name, "")
        if value:
            fields[name] = str(value)
    return fields


class TextFormatter(logging.Formatter):
    """The historical text line; `` [linkedid=… ticket=…]`` follows the message when a call is bound."""

    def __init__(self, fmt: str | None = TEXT_FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = _record_call_fields(record)
        if fields:
            line += " [" + " ".join(f"{name}={value}" for name, value in fields.items()) + "]"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, exc_info, the call's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_record_call_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)  # cached, as logging.Formatter does
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # ASCII escapes: valid JSON on one line whatever the stream's encoding; newlines are escaped too.
        return json.dumps(entry, ensure_ascii=True, default=str)


def logging_config(level: str | int = "INFO", fmt: LogFormat = "text", *,
                   quiet_libraries: bool = True) -> dict[str, Any]:
    """The ``dictConfig`` of an ec112 process: one stderr handler on the root logger."""
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown log format {fmt!r} (text or json)")
    root_level = level.upper() if isinstance(level, str) else logging.getLevelName(level)
    return {
        "version": 1,
        "disable_existing_loggers": False,  # module loggers exist from import time on
        "filters": {"call": {"()": CallContextFilter}},
        "formatters": {
            "text": {"()": TextFormatter, "fmt": TEXT_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["call"],
            },
        },
        "loggers": {name: {"level": "WARNING"} for name in (NOISY_LIBRARIES if quiet_libraries else ())},
        "root": {"level": root_level, "handlers": ["stderr"]},
    }


def configure_logging(level: str | int = "INFO", fmt: LogFormat = "text", *, quiet_libraries: bool = True) -> None:
    """Configure this process's logging (replaces the root logger's handlers)."""
    logging.config.dictConfig(logging_config(level, fmt, quiet_libraries=quiet_libraries))

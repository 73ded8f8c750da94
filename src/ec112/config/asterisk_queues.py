"""Adapter: a queue's ``wrapuptime`` from the queues.conf the running Asterisk loaded (`ec112 doctor`).

Why a file and not AMI: no AMI action reports a queue's wrapuptime (see ``ec112.services.doctor``), and the
actions that could read the file through Asterisk (GetConfig: write class ``system`` or ``config``) would
hand ec112's AMI account every file of Asterisk's config directory, manager.conf's secrets included. So the
doctor reads the file itself when it is readable on this host (``[callcenter] queues_conf``) and reports
*unknown* otherwise — a SKIP, never a failure.

What is understood of Asterisk's config syntax (main/config.c) is what app_queue's own reading needs:
``[section]`` with templates (``[112](base)``, ``[base](!)``), ``key = value`` / ``key => value``, ``;``
comments (``\\;`` is a literal ``;``), ``;-- … --;`` block comments and ``#include`` / ``#tryinclude``
(relative to the config directory, globs allowed). A queue without ``wrapuptime`` has 0, app_queue's
default; app_queue reads it with atoi(). It reads the file, not Asterisk's memory: an edit not yet followed
by ``asterisk -rx 'queue reload parameters'`` is not what Asterisk uses.
"""

from __future__ import annotations

import asyncio
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from ec112.services.doctor import QueueWrapup

_MAX_INCLUDE_DEPTH = 10
_SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?")
_INCLUDE = re.compile(r"^#\s*(include|tryinclude)\s+(.+)$", re.IGNORECASE)
_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


class QueuesConfError(Exception):
    """The file (or a file it includes) cannot be read."""


@dataclass
class _Section:
    values: list[tuple[str, str]] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    template: bool = False  # ``(!)``: only inherited from, never a queue


class QueuesConfFile:
    """``services.doctor.QueueConfigProbe`` over a local queues.conf; ``path`` None: not configured."""

    def __init__(self, path: Path | None) -> None:
        self._path = path

    async def wrapup(self, queue: str) -> QueueWrapup:
        if self._path is None:
            return QueueWrapup("-", None, "[callcenter] queues_conf kosong / is empty")
        source = str(self._path)
        try:
            sections = await asyncio.to_thread(read_sections, self._path)
        except QueuesConfError as exc:
            return QueueWrapup(source, None, str(exc))
        seconds = wrapuptime(sections, queue)
        if seconds is None:
            return QueueWrapup(source, None, f"tidak ada / no [{queue}] di / in {source}")
        return QueueWrapup(source, seconds)


def read_sections(path: Path) -> dict[str, _Section]:
    """Every section of ``path`` and what it includes, by lower-cased name.

    As app_queue sees them: a name repeated without ``(+)`` is skipped ("already defined"), ``(+)`` adds to it.
    """
    sections: dict[str, _Section] = {}
    _read(path, path.parent, sections, depth=0)
    return sections


def wrapuptime(sections: dict[str, _Section], queue: str) -> int | None:
    """The queue's wrapuptime as app_queue would read it; None when the file has no such queue."""
    if queue.lower() not in sections or sections[queue.lower()].template:
        return None
    value = _lookup(sections, queue.lower(), "wrapuptime", seen=set())
    if value is None:
        return 0  # app_queue's default (init_queue)
    match = _LEADING_INT.match(value)
    return int(match.group(1)) if match else 0  # atoi()


def _lookup(sections: dict[str, _Section], name: str, key: str, seen: set[str]) -> str | None:
    """The last value of ``key`` in ``name``, else in its templates (the last template listed wins)."""
    if name in seen or name not in sections:
        return None
    seen.add(name)
    section = sections[name]
    own = [value for k, value in section.values if k == key]
    if own:
        return own[-1]
    for template in reversed(section.templates):
        found = _lookup(sections, template, key, seen)
        if found is not None:
            return found
    return None


def _read(path: Path, config_dir: Path, sections: dict[str, _Section], *, depth: int,
          current: _Section | None = None) -> _Section | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise QueuesConfError(f"tidak terbaca / cannot read {path}: {exc.strerror or exc}") from exc
    for line in _lines(text):
        include = _INCLUDE.match(line)
        if include:
            current = _include(include, config_dir, sections, depth, current)
            continue
        if line.startswith("#"):
            continue  # #exec and other directives: not followed
        section = _SECTION.match(line)
        if section:
            name = section.group(1).strip().lower()
            options = [o.strip().lower() for o in (section.group(2) or "").split(",") if o.strip()]
            # A second [name] without (+): app_queue skips it ("already defined").
            current = _Section() if name in sections and "+" not in options else sections.setdefault(name, _Section())
            current.template = current.template or "!" in options
            current.templates += [o for o in options if o not in ("!", "+")]
            continue
        key, sep, value = line.partition("=")
        if sep and current is not None:
            current.values.append((key.strip().lower(), value.removeprefix(">").strip()))
    return current


def _include(match: re.Match[str], config_dir: Path, sections: dict[str, _Section], depth: int,
             current: _Section | None) -> _Section | None:
    if depth >= _MAX_INCLUDE_DEPTH:
        raise QueuesConfError(f"#include lebih dari / nested deeper than {_MAX_INCLUDE_DEPTH}")
    name = match.group(2).strip().strip('"<>').strip()
    pattern = name if name.startswith("/") else str(config_dir / name)
    found = sorted(glob.glob(pattern))
    if not found and match.group(1).lower() == "include" and not glob.has_magic(pattern):
        raise QueuesConfError(f"tidak terbaca / cannot read #include {pattern}")
    for included in found:
        current = _read(Path(included), config_dir, sections, depth=depth + 1, current=current)
    return current


def _lines(text: str) -> list[str]:
    """Non-empty lines without comments (``;`` to the end of the line, ``;-- … --;`` blocks)."""
    text = re.sub(r";--.*?--;", "", text, flags=re.DOTALL)
    lines = []
    for raw in text.splitlines():
        line = re.split(r"(?<!\\);", raw, maxsplit=1)[0].replace("\\;", ";").strip()
        if line:
            lines.append(line)
    return lines

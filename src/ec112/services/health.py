"""Readiness of the daemon's parts, as reported by /readyz and `ec112 doctor`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    ok: bool
    detail: str
    since: datetime | None = None


Readiness = Callable[[], Awaitable[dict[str, ComponentHealth]]]

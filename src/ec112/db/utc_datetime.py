"""The one timestamp column type: timezone-aware in, stored as UTC, aware UTC out.

SQLite has no timestamp type: SQLAlchemy stores a datetime's wall-clock text and drops its offset, so a bound value in
another zone (a local midnight in WITA, +08:00) compared as if it were UTC — the wallboard's "today" then began 8 hours
late. Converting every bound value to UTC here makes both databases compare instants, whatever zone a caller used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, datetime):
            # naive: already UTC (what both databases assumed before this type existed)
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:  # SQLite gives back the UTC wall clock
            return value.replace(tzinfo=UTC)
        return value

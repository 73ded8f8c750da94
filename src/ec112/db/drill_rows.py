"""The tables of drills (issue 14, part C), on the shared ``Base``; imported by ``db.models`` so that the metadata
is whole. Only SQLAlchemy and ``Base`` here: ``db.models`` imports this module at its end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import Base
from ec112.db.utc_datetime import UtcDateTime

_TZ = UtcDateTime()


class DrillRunRow(Base):
    """One run of a scenario: the scenario's own text is kept, so the report's expectations are what was run."""

    __tablename__ = "drill_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text)  # the TOML as run
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(_TZ)
    ended_at: Mapped[datetime | None] = mapped_column(_TZ)


class DrillCallRow(Base):
    """One call of a run as the runner placed it: the report finds its ticket by caller number and time."""

    __tablename__ = "drill_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based, in the scenario's (time) order
    placed_at: Mapped[datetime] = mapped_column(_TZ)

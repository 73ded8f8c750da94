"""The table of callback tasks (issue 13), on the shared ``Base``; imported by ``db.models`` so that the metadata
is whole. Only SQLAlchemy and ``Base`` here: ``db.models`` imports this module at its end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import Base
from ec112.db.utc_datetime import UtcDateTime

_TZ = UtcDateTime()


class CallbackTaskRow(Base):
    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    number: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(_TZ)
    deadline: Mapped[datetime] = mapped_column(_TZ)
    taken_by: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime | None] = mapped_column(_TZ)
    calling_at: Mapped[datetime | None] = mapped_column(_TZ)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_by: Mapped[str | None] = mapped_column(String(40))
    done_at: Mapped[datetime | None] = mapped_column(_TZ)
    escalated_at: Mapped[datetime | None] = mapped_column(_TZ)
    closed_at: Mapped[datetime | None] = mapped_column(_TZ)
    linked_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_callback_tasks_status", "status"),
        Index("ix_callback_tasks_number", "number"),
    )

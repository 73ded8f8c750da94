"""The recordings table (issue 14, part A; docs/room.md): its own module on the shared Base, imported at the end of
``db.models`` so that the metadata always has it (as issue 13's ``callback_rows``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import Base
from ec112.db.utc_datetime import UtcDateTime


class RecordingRow(Base):
    """A 112 call's recording: the file MixMonitor wrote (named after the Linkedid), its state and seal."""

    __tablename__ = "recordings"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

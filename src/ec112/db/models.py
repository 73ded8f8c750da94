"""SQLAlchemy 2 typed models. Column names are the storage contract; the domain never sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(128))
    caller_number_raw: Mapped[str | None] = mapped_column(String(64))
    caller_number_e164: Mapped[str | None] = mapped_column(String(20))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    loc_lat: Mapped[float | None] = mapped_column(Float)
    loc_lon: Mapped[float | None] = mapped_column(Float)
    loc_radius_m: Mapped[float | None] = mapped_column(Float)
    loc_source: Mapped[str | None] = mapped_column(String(16))
    loc_method: Mapped[str | None] = mapped_column(String(32))
    loc_observed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    intake: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (
        Index("ix_tickets_arrived_at", "arrived_at"),
        Index("ix_tickets_ended_at", "ended_at"),
    )

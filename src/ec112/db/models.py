"""SQLAlchemy 2 typed models. Column names are the storage contract; the domain never sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

from ec112.db.utc_datetime import UtcDateTime

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
    loc_observed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    intake: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(24))
    classification: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    classified_by: Mapped[str | None] = mapped_column(String(40))
    classified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)

    __table_args__ = (
        Index("ix_tickets_arrived_at", "arrived_at"), Index("ix_tickets_ended_at", "ended_at"),
        Index("ix_tickets_caller_number_e164", "caller_number_e164"), Index("ix_tickets_status", "status"),
        # The list's filters, newest first (0018; its engine-specific tickets_fts / *_trgm search indexes: not here)
        Index("ix_tickets_status_arrived_at", "status", "arrived_at"),
        Index("ix_tickets_classification_arrived_at", "classification", "arrived_at"),
        Index("ix_tickets_status_classification_arrived_at", "status", "classification", "arrived_at"),
    )


class TicketEventRow(Base):
    """A human change to a ticket (who, when, what); written with the change, never updated."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)  # JSON


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    sip_endpoint: Mapped[str | None] = mapped_column(String(40))
    agency: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebSessionRow(Base):
    """A browser session. Only the SHA-256 of the cookie's random token is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE); ``hash`` chains each row to the one before."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Issue 15 part D (migration 0016): HMAC of the hash with a key outside the database; NULL before 0016.
    mac: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(40))


class DispatchRow(Base):
    """One agency's part of a ticket (domain.dispatch.Dispatch)."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    dispatched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dispatched_by: Mapped[str] = mapped_column(String(40))
    ack_deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    responder: Mapped[str | None] = mapped_column(String(40), index=True)
    responding_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    processing_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution_note: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebhookDeliveryRow(Base):
    """One signed notification to an agency's webhook and its delivery attempts (the delivery log)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    event: Mapped[str] = mapped_column(String(40))  # dispatch.created | dispatch.escalated.alternate | …
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed (UTF-8 JSON)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # issue 15 part E: agency | alternate | sms (which of the agency's channels; migration 0017)
    channel: Mapped[str] = mapped_column(String(12), default="agency", server_default="agency")


class RecordOffsetRow(Base):
    """How far ec112 has read one of Asterisk's record files (the backfill; ``ec112.records``)."""

    __tablename__ = "record_offsets"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # "cdr" | "queue_log"
    identity: Mapped[str] = mapped_column(String(96))  # device:inode:first-line hash of the file read
    byte_offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecordedCallRow(Base):
    """A 112 call as Asterisk's records tell it (CDR + queue_log), joined across reads and restarts.

    ``settled_at``: its ticket has been opened or filled from it. Pruned some days after the call.
    """

    __tablename__ = "recorded_calls"

    linkedid: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 0014: accountcode

    __table_args__ = (
        Index("ix_recorded_calls_settled_at", "settled_at"),
        Index("ix_recorded_calls_updated_at", "updated_at"),
    )


class TicketLocationRow(Base):
    """One location a ticket was given (PIDF-LO, AML, a fetched reference, a civic address placed, a pin…);
    never updated. The ticket's ``loc_*`` columns hold the best one (``domain.location.best_location``)."""

    __tablename__ = "ticket_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[int | None] = mapped_column(Integer)
    shape: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))


class TicketUnlocatedRow(Base):
    """What the network said about where the caller is without usable coordinates (a reference URI, a civic
    address the gazetteer could not place): kept and shown, its status moves pending → resolved | failed."""

    __tablename__ = "ticket_unlocated"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AmlMessageRow(Base):
    """An Advanced Mobile Location message as received (HTTPS or SMS), matched to its ticket or kept."""

    __tablename__ = "aml_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    channel: Mapped[str] = mapped_column(String(8))  # https | sms
    caller_number_e164: Mapped[str | None] = mapped_column(String(20))
    caller_number_raw: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    matched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notes: Mapped[str | None] = mapped_column(String(400))  # the parser's dropped fields (names, never values)
    device_imei: Mapped[str | None] = mapped_column(String(16))  # the handset (junk-call triage per IMEI), 0009

    __table_args__ = (
        Index("ix_aml_messages_caller_received", "caller_number_e164", "received_at"),
        Index("ix_aml_messages_unmatched", "ticket_id", "received_at"),
        Index("ix_aml_messages_device_imei", "device_imei"),
    )


# Issue 13's parts, issue 14 (drills, recordings) and issue 17 (the agencies' versions) keep their rows in
# their own modules on this Base; imported here so that the metadata (Alembic, the schema checks) always has every
# table, whichever module was imported first (after Base: they import it).
from ec112.db import agency_versions as _agency_versions  # noqa: E402,F401
from ec112.db import callback_rows as _callback_rows  # noqa: E402,F401
from ec112.db import drill_rows as _drill_rows  # noqa: E402,F401
from ec112.db import recording_rows as _recording_rows  # noqa: E402,F401

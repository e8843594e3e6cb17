"""The audit trail with its per-case hash chains, and the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import (
    Base,
    HexDigest,
    PackedChanges,
    UTCDateTime,
)


class AuditEvent(Base):
    """Append-only trail: who did what to which case, and what changed."""

    __tablename__ = "audit_event"
    # A case's events are few: by case alone (the timestamp in it cost 26 bytes a row on SQLite)
    __table_args__ = (Index("ix_audit_event_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    step: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any] | None] = mapped_column(PackedChanges())
    # SHA-256 over the event and its chain's previous hash (engine.store.audit), as 32 bytes.
    hash: Mapped[str | None] = mapped_column(HexDigest())


class AuditChain(Base):
    """The head of one audit hash chain: a case's (chain_id = case id) or 0 for events
    without a case. Its row lock serializes the chain's appends (engine.store.audit)."""

    __tablename__ = "audit_chain"

    chain_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(HexDigest())
    last_event_id: Mapped[int] = mapped_column(Integer)


class CalendarDay(Base):
    """An exception to Monday–Friday: a holiday on a weekday or a working weekend (调休).

    region_id NULL is the national calendar; a region's rows override it for cases under it.
    """

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("region_id", "day", name="uq_calendar_day_region_day"),
                      Index("ix_calendar_day_day", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    day: Mapped[date] = mapped_column(Date)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")


class CalendarYear(Base):
    """A year whose exceptions have been loaded: arithmetic outside these years is refused."""

    __tablename__ = "calendar_year"
    __table_args__ = (UniqueConstraint("region_id", "year", name="uq_calendar_year_region_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="import")

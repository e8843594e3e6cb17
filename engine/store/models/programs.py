"""Support programs a household's members qualify for (民生保障项目自动匹配, Jiangmen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import Base, UTCDateTime


class ProgramMatch(Base):
    """One program one member of a case's household qualifies for, as the bundle's COLLECT
    decision table found when the case ran it. A new run replaces the case's rows."""

    __tablename__ = "program_match"
    __table_args__ = (Index("ix_program_match_case", "case_id"),
                      Index("ix_program_match_household", "household_id"),
                      Index("ix_program_match_program", "program"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    program: Mapped[str] = mapped_column(String(100))  # as the table names it: 教育资助…
    basis: Mapped[str] = mapped_column(String(200), default="")  # why, as the table says
    member_name: Mapped[str] = mapped_column(String(100), default="")
    member_id_number: Mapped[str] = mapped_column(String(18), default="")
    decision: Mapped[str] = mapped_column(String(100))  # the decision table's id
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Cross-checks against other bureaus' lists (区级比对): the members every case names, the
lists a district loads, and the hits found on cases and households."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import Base, UTCDateTime


class CaseMember(Base):
    """One member of a case's household, by ID number: what lists are matched against and
    what finds a household by a member's ID number. Written once when the case opens.

    Keyed by the case and the member's place in its application (`seq`, from 0): the key
    is also the case's index, where a surrogate id needed a second one."""

    __tablename__ = "case_member"
    __table_args__ = (Index("ix_case_member_id_number", "id_number"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100), default="")
    relation: Mapped[str] = mapped_column(String(16), default="")


class CrosscheckList(Base):
    """A bureau's list for one source and region. A newer list of the same source and region
    replaces it (`replaced_at`), and both stay, with who loaded them and the file's digest."""

    __tablename__ = "crosscheck_list"
    __table_args__ = (Index("ix_crosscheck_list_source_region", "source", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    region_path: Mapped[str] = mapped_column(String(400))
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_by_name: Mapped[str] = mapped_column(String(64), default="system")
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))


class CrosscheckRow(Base):
    """One row of a list: a person the bureau reports something about."""

    __tablename__ = "crosscheck_row"
    __table_args__ = (Index("ix_crosscheck_row_list", "list_id", "id"),
                      Index("ix_crosscheck_row_id_number", "id_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("crosscheck_list.id"))
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100), default="")
    finding: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)


class CrosscheckHit(Base):
    """A list row that names a member of a running case or of an enrolled household.

    `enrolled` marks a hit on a household receiving a benefit (its benefit case): those make
    the district's review list. A district official explains a hit in writing before the
    case can be approved; a later list carries an explanation over to the same finding.
    """

    __tablename__ = "crosscheck_hit"
    __table_args__ = (Index("ix_crosscheck_hit_case", "case_id"),
                      Index("ix_crosscheck_hit_household", "household_id"),
                      Index("ix_crosscheck_hit_list", "list_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("crosscheck_list.id"))
    row_id: Mapped[int] = mapped_column(ForeignKey("crosscheck_row.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    enrolled: Mapped[bool] = mapped_column(default=False)
    member_name: Mapped[str] = mapped_column(String(100), default="")
    id_number: Mapped[str] = mapped_column(String(18))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The review or exit case a district official opened for this hit, if any.
    followup_case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))

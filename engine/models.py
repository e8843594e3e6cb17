"""The persistent model: plain SQLAlchemy 2 declarative classes, shared with Flask-SQLAlchemy.

Levels of the org tree and the roles that work at each level are defined here too, because
every scope rule in the engine is phrased in them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")
# Money in yuan, exact to the fen (engine/money.py rounds before it is stored).
Money = Numeric(12, 2, asdecimal=True)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, also on SQLite, which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: the engine works in aware UTC")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

LEVELS = ("province", "city", "district", "township", "village", "assessor")
LEVEL_NAMES = {
    "province": "省",
    "city": "市",
    "district": "区（县）",
    "township": "镇（街道）",
    "village": "村（居）",
    "assessor": "第三方评估机构",
}
ROLES = ("clerk", "village", "township", "district", "assessor", "admin", "designer")
ROLE_NAMES = {
    "clerk": "镇（街道）受理窗口",
    "village": "村级经办人",
    "township": "镇（街道）审核人",
    "district": "区级审批人",
    "assessor": "第三方评估人员",
    "admin": "系统管理员",
    "designer": "流程设计人员",
}
# The level of org a user of each role must belong to; None means any level.
ROLE_ORG_LEVEL = {
    "clerk": "township",
    "village": "village",
    "township": "township",
    "district": "district",
    "assessor": "assessor",
    "admin": None,
    "designer": None,
}
# The task level (BPMN lane) each role works.
ROLE_TASK_LEVEL = {
    "village": "village",
    "township": "township",
    "district": "district",
    "assessor": "assessor",
}
OFFICIAL_ROLES = ("clerk", "village", "township", "district", "assessor", "admin")
CASE_STATUSES = ("running", "approved", "rejected", "withdrawn", "exited")


class Base(DeclarativeBase):
    registry = registry(type_annotation_map={dict[str, Any]: JSONType, list[Any]: JSONType})


class OrgUnit(Base):
    """A node of district → township → village, or a third-party assessor under a district.

    `path` holds the ancestor codes ("/370305/370305101/370305101201/") so that "everything
    under this township" is one indexed prefix query.
    """

    __tablename__ = "org_unit"
    __table_args__ = (
        Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        Index("ix_org_unit_parent_level", "parent_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    path: Mapped[str] = mapped_column(String(400))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    def covers(self, other: OrgUnit) -> bool:
        """True when `other` is this org or lies below it."""
        return other.path.startswith(self.path)

    def path_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notifications_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Accounts (issue 11): an admin-set password must be changed at first sign-in; a browser
    # session names the version it was opened under, so logout or a password change ends it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)

    @property
    def task_level(self) -> str | None:
        return ROLE_TASK_LEVEL.get(self.role)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginFailure(Base):
    """One wrong password, kept for the lockout window; shared by every worker process."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProcedureVersion(Base):
    """One deployed version of one process of a region, with every source it was built from."""

    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("key", "region_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    version: Mapped[int] = mapped_column(Integer)
    # The sources are read only by a process that has not cached this version yet.
    bpmn: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # {file name: XML text}
    dmn: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # {file name: XML text}
    forms: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # {form key: YAML}, resolved
    # The bundle's README.md as deployed: its "Assumptions" are shown on the designer page.
    readme: Mapped[str | None] = mapped_column(Text, deferred=True)
    start_form: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)


class Case(Base):
    """A household's application and its journey through one procedure version."""

    __tablename__ = "case_file"
    __table_args__ = (
        Index("ix_case_village_status", "village_id", "status"),
        Index("ix_case_org_path", "org_path", postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    # The village's path when the case opened: the scope every official's query filters on.
    org_path: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default="running")
    applicant_name: Mapped[str] = mapped_column(String(100), default="")
    household_size: Mapped[int] = mapped_column(Integer, default=0)
    application: Mapped[dict[str, Any]] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The whole case's limit (e.g. 30 working days), extended once with a recorded reason.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # The household (by head's ID number) the case is about: identification, review, exit.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)

    procedure: Mapped[ProcedureVersion] = relationship(lazy="raise_on_sql")
    village: Mapped[OrgUnit] = relationship(lazy="raise_on_sql")
    instance: Mapped[ProcessInstance] = relationship(back_populates="case", lazy="raise_on_sql")


class Household(Base):
    """A household of a region, known by its head's ID number: the thread through its cases
    (identification, yearly review, exit, re-entry). Dynamic management (动态管理)."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("region_path", "head_id_number", name="uq_household_region_head"),
        Index("ix_household_org_path", "org_path",
              postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_path: Mapped[str] = mapped_column(String(400))  # the procedure region's org path
    org_path: Mapped[str] = mapped_column(String(400))  # village path of its latest case
    head_id_number: Mapped[str] = mapped_column(String(18))
    head_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessInstance(Base):
    """SpiffWorkflow state of a case, without the spec (cached per procedure version).

    `version` is SQLAlchemy's optimistic lock: a concurrent writer's UPDATE matches no row.
    `next_timer_at` is the earliest waiting timer, the worker's indexed queue.
    """

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_next_timer", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), unique=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed JSON
    serializer_version: Mapped[str] = mapped_column(String(16))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Failed timer passes since the last success (engine.timers backs off on them).
    timer_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    timer_error: Mapped[str | None] = mapped_column(Text)
    timer_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="instance", lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """One row per user task the workflow opened; open while completed_at is null."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index(
            "ix_human_task_inbox",
            "org_id",
            "level",
            "due_at",
            postgresql_where=text("completed_at IS NULL"),
            sqlite_where=text("completed_at IS NULL"),
        ),
        Index("ix_human_task_case", "case_id"),
        Index("ix_human_task_open_due", "due_at",
              postgresql_where=text("completed_at IS NULL"),
              sqlite_where=text("completed_at IS NULL")),
        Index("ix_human_task_unannounced", "id",
              postgresql_where=text("announced_at IS NULL"),
              sqlite_where=text("announced_at IS NULL")),
        UniqueConstraint("workflow_task_id", name="uq_human_task_workflow_task"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    workflow_task_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any] | None] = mapped_column()
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # new-task notice sent
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # due-tomorrow sent
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # overdue: 督办 sent
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # claims race like completions

    case: Mapped[Case] = relationship(lazy="raise_on_sql")
    org: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class AuditEvent(Base):
    """Append-only trail: who did what to which case, and what changed."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    step: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any] | None] = mapped_column()
    # SHA-256 over the event and its chain's previous hash (engine.audit).
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The head of one audit hash chain: a case's (chain_id = case id) or 0 for events
    without a case. Its row lock serializes the chain's appends (engine.audit)."""

    __tablename__ = "audit_chain"

    chain_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(String(64))
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


class Notice(Base):
    """A public notice (公示) of a case, posted at an org, open while the workflow waits on it."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_open", "org_path", "ends_at",
                            postgresql_where=text("closed_at IS NULL"),
                            sqlite_where=text("closed_at IS NULL"),
                            postgresql_ops={"org_path": "varchar_pattern_ops"}),
                      Index("ix_notice_case", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    org_path: Mapped[str] = mapped_column(String(400))  # the case's village path, for scope
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))  # passed | objected | cancelled

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    org: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)


class Objection(Base):
    """A member of the public's objection to a notice: kept with how to reach them."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_client", "client_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    client_key: Mapped[str] = mapped_column(String(64))  # hashed client address, for rate limits
    routed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The official's answer to the objector (the thanks page promises one).
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    notice: Mapped[Notice] = relationship(lazy="joined", innerjoin=True)
    replied_by: Mapped[User | None] = relationship(lazy="joined")


class Attachment(Base):
    """A file uploaded with a case's form: kept with the case, in the same transaction.

    `content_type` is sniffed from the bytes, never the type the browser declared. `data` is
    deferred so that listing names never loads the bytes.
    """

    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # att-<24 hex>
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Notification(Base):
    """An in-app message to the officials of an org at a level (new task, due, overdue, 督办)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_inbox", "org_id", "level", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Benefit(Base):
    """A household's monthly top-up (补差) from a date: appended, never edited.

    The current benefit of a case is its newest row. Rows come from approval and from bulk
    recalculation after a standard is adjusted.
    """

    __tablename__ = "benefit"
    __table_args__ = (Index("ix_benefit_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    monthly_amount: Mapped[Decimal] = mapped_column(Money)
    standard: Mapped[Decimal | None] = mapped_column(Money)  # yuan per person per month, if known
    per_capita_income: Mapped[Decimal | None] = mapped_column(Money)  # yuan/person/year
    household_size: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The household's values of the variables its bundle's decision tables read (incomes by
    # category, member counts, area…), so that a recalculation can run the region's rules again.
    facts: Mapped[dict[str, Any] | None] = mapped_column()

    EXIT = "exit:"  # source of the 0 row that ends a benefit: "exit:<exit case id>"

    @property
    def exit_case_id(self) -> int | None:
        """The exit case that ended the benefit, if this row is that end."""
        return int(self.source[len(self.EXIT):]) if self.source.startswith(self.EXIT) else None


class Job(Base):
    """Bulk work done by the worker in batches, with progress: e.g. recalculating top-ups."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_pending", "status", "id"),
                      UniqueConstraint("unique_key", name="uq_job_unique_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    org_path: Mapped[str] = mapped_column(String(400))
    params: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/running/done
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # last case id handled
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A job that must happen once per period (a region's review of a month) names it here,
    # so that two workers, or a worker and an official, cannot both queue it.
    unique_key: Mapped[str | None] = mapped_column(String(200))


class Standard(Base):
    """A region's dated standard (低保标准), yuan per person per month or year, by scheme.

    The one source that identification, reviews and recalculation read: the standard in force
    for a case is the newest row on or before the day, of the nearest ancestor of its village
    that has one (engine/standards.py). Appended, never edited.
    """

    __tablename__ = "standard"
    __table_args__ = (UniqueConstraint("region_id", "scheme", "effective_from",
                                       name="uq_standard_region_scheme_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    scheme: Mapped[str] = mapped_column(String(32), default="dibao")
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    period: Mapped[str] = mapped_column(String(8))  # month | year
    document: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64))  # cli | api | bundle:<dir> | case:<id>
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)

"""Procedure versions, cases, workflow state, steps, notices, objections, files, notifications,
jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from engine.store.models.base import (
    Base,
    Money,
    PackedJSON,
    TaskUUID,
    UTCDateTime,
)
from engine.store.models.people import OrgUnit, User


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
    # The bundle's own print templates and region facts ({"documents/refusal_notice.html": …});
    # a kind the bundle leaves out prints with the shared default (web/templates/documents/).
    documents: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
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
    # Written once at intake, never rewritten (its digest is audited), never queried inside.
    application: Mapped[dict[str, Any]] = mapped_column(PackedJSON())
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


class ProcessInstance(Base):
    """SpiffWorkflow state of a case, without the spec (cached per procedure version), keyed
    by its case (one each): no surrogate id, and no second index to keep at every write.

    `version` is SQLAlchemy's optimistic lock: a concurrent writer's UPDATE matches no row.
    `next_timer_at` is the earliest waiting timer, the worker's indexed queue.
    """

    __tablename__ = "process_instance"
    # Only instances that wait on a timer (a notice) are in the timer index: the rest never
    # enter it, so moving in and out of a notice is all it churns.
    __table_args__ = (Index("ix_process_instance_next_timer", "next_timer_at",
                            postgresql_where=text("next_timer_at IS NOT NULL"),
                            sqlite_where=text("next_timer_at IS NOT NULL")),)

    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), primary_key=True,
                                         autoincrement=False)
    # zlib-compressed JSON, against the case's application (engine.workflow.spiff.storage)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(16))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Failed timer passes since the last success (engine.casework.timers backs off on them).
    timer_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    timer_error: Mapped[str | None] = mapped_column(Text)
    timer_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="instance", lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """One row per user task the workflow opened; open while completed_at is null."""

    __tablename__ = "human_task"
    __table_args__ = (
        # The inbox's filter and its order, `(due_at IS NULL), due_at, id`, in one index:
        # the first page of a 50,000-task inbox reads 20 entries and sorts nothing.
        Index(
            "ix_human_task_inbox",
            "org_id",
            "level",
            text("(due_at IS NULL)"),
            "due_at",
            "id",
            postgresql_where=text("completed_at IS NULL"),
            sqlite_where=text("completed_at IS NULL"),
        ),
        Index("ix_human_task_case", "case_id"),
        Index("ix_human_task_open_due", "due_at",
              postgresql_where=text("completed_at IS NULL"),
              sqlite_where=text("completed_at IS NULL")),
        Index("ix_human_task_unannounced", "id",
              postgresql_where=text("announced_at IS NULL AND completed_at IS NULL"),
              sqlite_where=text("announced_at IS NULL AND completed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    # SpiffWorkflow's task UUID (16 bytes), looked up only among one case's rows: no index.
    workflow_task_id: Mapped[str] = mapped_column(TaskUUID())
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # The step's form, "" when it is the step's own id (as in Linzi's identification): such
    # a task row spends no bytes on it. Read and compared through `form_key`.
    own_form_key: Mapped[str] = mapped_column("form_key", String(100))
    level: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    # The submitted form, kept only here: the task.completed audit event holds its digest.
    # JSON text, not JSONB, on PostgreSQL too: it is read whole and never queried inside,
    # and compact text is a fifth smaller than JSONB's binary form (engine.store.db._json).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # new-task notice sent
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # due-tomorrow sent
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # overdue: 督办 sent
    # Loaded only where a query asks (completion: whether a draft must be deleted).
    has_drafts: Mapped[bool | None] = query_expression()
    # and (completion) the case's submitted forms, [task id, data] pairs (instances.forms_of)
    case_forms: Mapped[list | None] = query_expression()
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # claims race like completions

    case: Mapped[Case] = relationship(lazy="raise_on_sql")
    org: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def form_key(self) -> str:
        """The key of the form this task's step shows (every user task has one: deploy
        checks)."""
        return self.own_form_key or self.step

    @form_key.inplace.expression
    @classmethod
    def _form_key_sql(cls):
        return func.coalesce(func.nullif(cls.own_form_key, ""), cls.step)

    @staticmethod
    def stored_form_key(step: str, form_key: str | None) -> str:
        """What `own_form_key` keeps for a step and its form: "" for the step's own id."""
        return "" if not form_key or form_key == step else form_key


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


class JobChunk(Base):
    """A slice of a job's rows (ids `first_id`..`last_id`, the last chunk open-ended) that one
    worker claims (SELECT ... FOR UPDATE SKIP LOCKED) and handles in one transaction, so that
    several workers share a job (engine/store/chunks.py)."""

    __tablename__ = "job_chunk"
    __table_args__ = (Index("ix_job_chunk_pending", "job_id", "id",
                            postgresql_where=text("status = 'pending'"),
                            sqlite_where=text("status = 'pending'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"))
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

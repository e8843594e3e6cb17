"""Cases: starting one for a household, finding them, reading one with its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from engine.casework import attachments, drafts, hits, instances, intake, moves, objections
from engine.casework import standing as case_standing
from engine.money import deregistration, households
from engine.people import scope
from engine.store import audit
from engine.store.errors import BadRequest, Conflict, Forbidden, Invalid
from engine.store.models import (
    CASE_STATUSES,
    AuditEvent,
    Case,
    CaseMember,
    HumanTask,
    Notice,
    Objection,
    OrgUnit,
    ProcedureVersion,
    ProcessInstance,
    User,
)
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import procedures, spiff


@dataclass
class CaseDetail:
    case: Case
    version: ProcedureVersion
    village: OrgUnit
    open_tasks: list[HumanTask]
    done_tasks: list[HumanTask]
    history: list[AuditEvent]
    completed_steps: set[str]
    current_steps: set[str]
    # Objections to the case's notices with the objector's name and contact: officials only.
    objections: list[Objection] = field(default_factory=list)
    # Cross-check hits on current bureau lists (区级比对), oldest first.
    crosscheck: list[hits.Hit] = field(default_factory=list)
    # The latest value of each decision-table output (eligible, refusal_reason, proposed_amount…).
    decisions: dict[str, Any] = field(default_factory=dict)
    # Output name -> the DMN output's label, for showing them in Chinese.
    decision_labels: dict[str, str] = field(default_factory=dict)
    # What it waits on, its amount, category and standard, and its people's names.
    standing: case_standing.Standing | None = None


def _household(application: dict[str, Any]) -> tuple[str, int]:
    """Name and size for lists and public notices, by the documented field convention."""
    members = application.get("members")
    size = len(members) if isinstance(members, list) else 0
    return str(application.get("head_name", ""))[:100], size


def start(db: Session, actor: User, procedure_key: str, village_code: str,
          application: Any, comment: str = "", now: datetime | None = None,
          uploads: Sequence[attachments.Upload] = ()) -> Case:
    """Open a case for a household of a village and run its procedure to the first step;
    `uploads` are the files the application names, stored with the case."""
    now = now or clock.now()
    if not procedure_key or not village_code:
        raise BadRequest("需要提供 procedure 和 village")
    with unit_of_work(db):
        village, version = intake.place(db, actor, procedure_key, village_code)
        model = procedures.model_of(version)
        form = procedures.form_of(version, model.start_form)
        if model.exits:  # an exit names a household on the roll, by id or head's ID number
            application = deregistration.name_household(db, version, village, application)
        clean = procedures.validate_form(form, application, now)
        on_file = deregistration.on_roll(db, version, village, clean) if model.exits else {}
        case = open_case(db, actor, version, village, clean, comment, now, on_file)
        attachments.attach(db, actor, case, form, clean, uploads, now)
        drafts.forget_intake(db, actor, procedure_key, village.code)
    return case


def open_case(db: Session, actor: User | None, version: ProcedureVersion, village: OrgUnit,
              clean: dict[str, Any], comment: str, now: datetime,
              on_file: dict[str, Any] | None = None) -> Case:
    """Open a case with a validated application, in the caller's transaction (no scope
    check): `start` for one household, the yearly review job (engine.casework.reviews) for many.
    `on_file` is the household's application on file (an exit): the workflow starts with it
    under the submitted fields, while the case keeps only what was submitted."""
    model = procedures.model_of(version)
    data = {**(on_file or {}), **clean}
    name, size = _household(data)
    case = Case(
        procedure_version_id=version.id,
        village_id=village.id,
        org_path=village.path,
        status="running",
        applicant_name=name,
        household_size=size,
        application=clean,
        opened_at=now,
        opened_by_id=actor.id if actor else None,
    )
    case.due_at, unknown_due = instances.due_or_unknown(db, case, now, model.due_working_days)
    households.link(db, case, version, village, clean, now)  # 动态管理: one query
    db.add(case)
    db.flush()
    hits.open_case(db, case, now)  # members indexed, matched against current lists
    # The application is kept once, on the case (never rewritten); the audit entry holds its
    # digest, which shows it unchanged since it was submitted.
    audit.record(db, now, actor, "case.opened", case=case, step=model.start_form,
                 comment=comment, changes={"application_sha256": audit.application_digest(clean)})
    _record_unknown_due(db, case, now, unknown_due)
    moves.start(db, case, now, model, data)
    return case


def _record_unknown_due(db: Session, case: Case, opened: datetime, reason: str) -> None:
    if reason:
        audit.record(db, opened, None, "deadline.unknown", case=case, comment=reason)


EXTENDERS = ("township", "district", "admin")


def extend(db: Session, actor: User, case_id: int, reason: str,
           now: datetime | None = None) -> Case:
    """Extend a case to its procedure's maximum limit (e.g. 45 working days), once, with a reason.

    The 2021 rules allow it for a notice objection, 人户分离, filing away from home, or a hard
    investigation; the reason is recorded in the case and its audit trail.
    """
    now = now or clock.now()
    reason = (reason or "").strip()
    with unit_of_work(db):
        case = visible(db, actor, case_id)
        if actor.role not in EXTENDERS:
            raise Forbidden("只有镇（街道）、区级人员可以延长办理期限")
        if not reason:
            raise Invalid({"reason": ["延期须说明理由"]})
        if case.status != "running":
            raise Conflict("案件已办结，无需延期")
        if case.extension_reason:
            raise Conflict("该案件已延期一次，不能再次延期")
        model = procedures.model_of(case.procedure)
        if not model.max_working_days:
            raise Invalid({"reason": ["该流程未规定最长办理期限，无法延期"]})
        case.due_at, unknown_due = instances.due_or_unknown(db, case, case.opened_at,
                                                           model.max_working_days)
        _record_unknown_due(db, case, case.opened_at, unknown_due)
        case.extension_reason = reason[:2000]
        audit.record(db, now, actor, "case.extended", case=case, comment=reason,
                     changes={"due_at": case.due_at.isoformat() if case.due_at else None})
    return case


def visible(db: Session, actor: User, case_id: int) -> Case:
    return scope.visible_case(db, actor, case_id, joinedload(Case.village),
                              joinedload(Case.procedure))


def detail(db: Session, actor: User, case_id: int,
           now: datetime | None = None) -> CaseDetail:
    """A case with its steps, history in the order it happened (by id: a simulated clock may
    go backwards, so timestamps may not be in order), notices, objections and standing."""
    case = visible(db, actor, case_id)
    tasks = db.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)
    ).all()
    history = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    ).all()
    open_tasks = [t for t in tasks if t.completed_at is None]
    done = [t for t in tasks if t.completed_at is not None and t.outcome != "cancelled"]
    posted = db.scalars(select(Notice).where(Notice.case_id == case.id)).all()
    current = {t.step for t in open_tasks} | {n.step for n in posted if n.closed_at is None}
    completed = ({t.step for t in done} | {n.step for n in posted if n.closed_at}) - current
    decided, labels = case_decisions(db, case)
    return CaseDetail(case, case.procedure, case.village, open_tasks, done, list(history),
                      completed, current, objections.of_case(db, case.id),
                      hits.of_case(db, case.id), decided, labels,
                      case_standing.of_case(db, case, open_tasks, posted, decided, history,
                                            now or clock.now(), done))


def case_decisions(db: Session, case: Case) -> tuple[dict[str, Any], dict[str, str]]:
    """What the case's decision tables last gave, and their outputs' labels."""
    model = procedures.model_of(case.procedure)
    state = db.scalar(select(ProcessInstance.state).where(ProcessInstance.case_id == case.id))
    if not model.decisions or state is None:
        return {}, {}
    wf = instances.load(case, state, model, instances.submitted_forms(db, case))
    return spiff.case_decisions(wf, model), spiff.decision_labels(model)


def search_query(actor: User, status: str | None = None, village: str | None = None,
                 q: str | None = None):
    """Cases the actor may see, filtered by status, village code or a name (unordered)."""
    if status and status not in CASE_STATUSES:
        raise Invalid({"status": [f"状态应为 {', '.join(CASE_STATUSES)} 之一"]})
    query = (
        select(Case)
        .join(Case.village)
        .options(contains_eager(Case.village), joinedload(Case.procedure))
        .where(scope.case_filter(actor))
    )
    if status:
        query = query.where(Case.status == status)
    if village:
        query = query.where(OrgUnit.code == village)
    if q and q.strip():
        query = query.where(matches(q))
    return query


def matches(q: str):
    """A member's full ID number, exactly, or part of a name (applicant, member, village)."""
    text = q.strip()
    if hits.ID_NUMBER.fullmatch(text.upper()):
        return Case.id.in_(select(CaseMember.case_id).where(
            CaseMember.id_number == text.upper()))
    like = f"%{text}%"
    return or_(Case.applicant_name.like(like), OrgUnit.name.like(like),
               Case.id.in_(select(CaseMember.case_id).where(CaseMember.name.like(like))))


def search(db: Session, actor: User, status: str | None = None, village: str | None = None,
           q: str | None = None, limit: int = 50, offset: int = 0) -> list[Case]:
    """Cases the actor may see, newest first, filtered by status, village code or name."""
    query = search_query(actor, status, village, q)
    return list(db.scalars(query.order_by(Case.id.desc()).limit(min(limit, 200)).offset(offset)))

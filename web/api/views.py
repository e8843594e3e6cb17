"""Domain objects → the contract's JSON shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.casework.cases import CaseDetail
from engine.casework.hits import Hit, masked
from engine.casework.tasks import TaskSummary
from engine.store.models import (
    AuditEvent,
    Case,
    HumanTask,
    Objection,
    OrgUnit,
    ProcedureVersion,
    Standard,
    User,
)
from engine.time import clock
from engine.workflow.spiff import ProcessModel


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return clock.as_utc(value).isoformat()
    return value.isoformat()


def org(o: OrgUnit) -> dict[str, Any]:
    return {"code": o.code, "name": o.name, "level": o.level}


def me(user: User) -> dict[str, Any]:
    return {"username": user.username, "name": user.display_name, "role": user.role,
            "org": org(user.org)}


def procedure(v: ProcedureVersion) -> dict[str, Any]:
    return {"key": v.key, "name": v.name, "region": v.region.code, "version": v.version,
            "deployed_at": iso(v.deployed_at)}


def steps(model: ProcessModel) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.name, "kind": s.kind, "level": s.level, "form": s.form_key,
         "due_working_days": s.due_working_days, "due_days": s.due_days}
        for s in model.steps.values()
    ]


def task(t: HumanTask, now: datetime | None = None) -> dict[str, Any]:
    summary = TaskSummary(t.id, t.case_id, t.step, t.name, t.level, t.org.code, t.due_at,
                          t.assignee.username if t.assignee else None, t.created_at)
    return listed_task(summary, now, is_open=t.completed_at is None)


def listed_task(t: TaskSummary, now: datetime | None = None,
                is_open: bool = True) -> dict[str, Any]:
    """A task in the contract's shape, from its summary (the inbox lists open tasks only)."""
    now = now or clock.now()
    due = clock.as_utc(t.due_at)
    return {
        "id": t.id,
        "case_id": t.case_id,
        "step": t.step,
        "name": t.name,
        "level": t.level,
        "org": t.org,
        "due_at": iso(due),
        "overdue": bool(due and is_open and due < now),
        "assignee": t.assignee,
        "created_at": iso(t.created_at),
    }


def event(e: AuditEvent) -> dict[str, Any]:
    return {"at": iso(e.at), "actor": e.actor_name, "step": e.step, "action": e.action,
            "comment": e.comment}


def case_row(c: Case) -> dict[str, Any]:
    return {"id": c.id, "procedure": c.procedure.key, "version": c.procedure.version,
            "status": c.status, "village": c.village.code, "village_name": c.village.name,
            "applicant_name": c.applicant_name, "household_size": c.household_size,
            "opened_at": iso(c.opened_at), "closed_at": iso(c.closed_at),
            "due_at": iso(c.due_at), "extension_reason": c.extension_reason,
            "household_id": c.household_id}


def case_detail(d: CaseDetail) -> dict[str, Any]:
    return {
        **case_row(d.case),
        "application": d.case.application,
        "open_tasks": [task(t) for t in d.open_tasks],
        "steps": [{"step": t.step, "name": t.name, "outcome": t.outcome,
                   "completed_at": iso(t.completed_at), "data": t.data} for t in d.done_tasks],
        "history": [event(e) for e in d.history],
        "objections": [objection(o) for o in d.objections],
        "crosscheck": [hit(h) for h in d.crosscheck],
        "decisions": d.decisions,
    }


def hit(h: Hit) -> dict[str, Any]:
    """A cross-check hit as the case's officials see it (the ID number masked)."""
    return {"id": h.id, "source": h.source, "source_label": h.source_label, "member": h.member,
            "id_number_masked": masked(h.id_number), "finding": h.finding,
            "as_of": h.as_of.isoformat(), "explained": h.explained,
            "explanation": h.explanation, "explained_at": iso(h.explained_at)}


def objection(o: Objection) -> dict[str, Any]:
    """An objection as the case's officials see it: with the objector's name and contact."""
    reply = None if o.reply is None else {
        "text": o.reply, "at": iso(o.replied_at),
        "by": o.replied_by.username if o.replied_by else None}
    return {"id": o.id, "notice": o.notice.name, "step": o.notice.step, "at": iso(o.at),
            "reason": o.reason, "name": o.name, "contact": o.contact, "routed": o.routed,
            "reply": reply}


def public_notice(n) -> dict[str, Any]:
    """Only what a public notice may show (Art. 24): never ID numbers, phones, addresses,
    members' incomes."""
    return {"id": n.id, "name": n.case.applicant_name, "household_size": n.case.household_size,
            "proposed_amount": n.proposed_amount, "notice": n.name,
            "org": {"code": n.org.code, "name": n.org.name},
            "starts_at": iso(n.starts_at), "ends_at": iso(n.ends_at)}


def standard(row: Standard) -> dict[str, Any]:
    """A dated standard in the contract's shape (GET /api/standards)."""
    return {"region": row.region.code, "scheme": row.scheme,
            "from": row.effective_from.isoformat(), "amount": row.amount,
            "period": row.period, "document": row.document}

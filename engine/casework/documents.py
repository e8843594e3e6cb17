"""What the print documents say: a case's 审核确认表 and 不予认定告知书, and the 公示 posters.

Each function returns plain data (dicts, lists, text, dates), already scoped and with every
code turned into the words its form gives it, because designer-editable templates render it
in a sandbox: they must never hold objects that reach the database. Posters are public, so
they carry only what a notice may show (name, household size, amount, period).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

import forms
from engine.casework import attachments, instances, notices
from engine.casework.cases import detail
from engine.casework.standing import REFUSED, refusing_step
from engine.store import amounts
from engine.store.errors import NotFound
from engine.store.models import (
    Case,
    HumanTask,
    Notice,
    OrgUnit,
    ProcedureVersion,
    ProcessInstance,
    User,
)
from engine.time import calendar
from engine.workflow import procedures, spiff

NOTICE_OUTCOMES = {"passed": "期满无异议", "objected": "收到异议，转入重新调查或评议",
                   "cancelled": "已撤销"}


def refused(case: Case, done_tasks: list[HumanTask]) -> tuple[bool, HumanTask | None]:
    """Whether the case stands refused, and the step that refused it: the case ended
    `rejected`, or its latest deciding step said reject and the notice of refusal is still
    to be served. (A case a decision table ended has no refusing step.)"""
    last = refusing_step(done_tasks)
    if case.status == "rejected" or (case.status == "running" and last is not None):
        return True, last
    return False, None


def confirmation_sheet(db: Session, actor: User, case_id: int) -> dict[str, Any]:
    """The 审核确认表 of a case the actor may see: household, members, incomes, assets, each
    step with its result, opinion, official and date, and the notices it went through."""
    d = detail(db, actor, case_id)
    sheet = _common(db, d.case, d.version)
    names = _official_names(db, d.done_tasks)
    sheet["steps"] = [_step(db, d.version, t, names) for t in d.done_tasks]
    posted = db.scalars(select(Notice).where(Notice.case_id == d.case.id)
                        .order_by(Notice.starts_at, Notice.id)).all()
    sheet["notices"] = [{"name": n.name, "org": n.org.name, "starts_at": n.starts_at,
                         "ends_at": n.ends_at, "open": n.closed_at is None,
                         "outcome": NOTICE_OUTCOMES.get(n.outcome or "", "")} for n in posted]
    sheet["open_steps"] = [{"name": t.name, "org": t.org.name, "due_at": t.due_at}
                           for t in d.open_tasks]
    return sheet


def refusal_notice(db: Session, actor: User, case_id: int) -> dict[str, Any]:
    """The 不予认定告知书 of a refused case the actor may see: who refused it, when, and why
    (the decision tables' `refusal_reason` and the deciding official's words). A case that
    was not refused has none: NotFound with a message that says so."""
    d = detail(db, actor, case_id)
    is_refused, task = refused(d.case, d.done_tasks)
    if not is_refused:
        raise NotFound("该案件没有不予认定决定，无需出具不予认定告知书")
    sheet = _common(db, d.case, d.version)
    step = _step(db, d.version, task, _official_names(db, [task])) if task else None
    words = _refusal_words(d.version, task, step) if task and step else []
    reason = sheet["decisions"].get("refusal_reason")
    sheet.update(decided=step, refusal_reason=str(reason) if reason else "",
                 comment="\n".join(words), reasons=[str(reason)] * bool(reason) + words)
    return sheet


def _refusal_words(version: ProcedureVersion, task: HumanTask,
                   step: dict[str, Any]) -> list[str]:
    """What the refusing official wrote as the reason: the text fields the form requires when
    refusing (`required_when: {decision: reject}`), else every text field they filled in."""
    form = procedures.form_of(version, task.form_key)
    for_refusal = {f.name for f in form.fields if f.type == "text" and any(
        c.field == "decision" and REFUSED in c.values for c in f.required_when)}
    texts = [row for row in step["opinion"] if row["type"] == "text"]
    chosen = [row for row in texts if row["name"] in for_refusal] or texts
    return [row["text"] for row in chosen]


def posters(db: Session, org_code: str) -> list[dict[str, Any]]:
    """The open notices under an org as posters: one per village, notice and period, each
    listing households by name, size and amount only. Anyone may read them."""
    found = notices.public_list(db, org_code)
    villages = {o.id: o for o in db.scalars(select(OrgUnit).where(
        OrgUnit.id.in_({n.case.village_id for n in found})))}
    version_ids = {n.case.procedure_version_id for n in found}
    versions = {v.id: v for v in db.scalars(select(ProcedureVersion).options(
        undefer(ProcedureVersion.documents)).where(ProcedureVersion.id.in_(version_ids)))}
    groups: dict[tuple, list[Notice]] = defaultdict(list)
    for n in found:
        groups[(n.case.village_id, n.org_id, n.name, _day(n.starts_at), _day(n.ends_at))].append(n)
    sheets = []
    for (village_id, _org, name, _start, _end), rows in groups.items():
        village, first = villages[village_id], rows[0]
        newest = max((versions[n.case.procedure_version_id] for n in rows), key=lambda v: v.id)
        places = _places(db, village)
        sheets.append({
            "title": name, "places": places, "village_code": village.code,
            "issuer": {"name": first.org.name, "level": first.org.level, "code": first.org.code},
            "starts_at": min(n.starts_at for n in rows),
            "ends_at": max((n.ends_at for n in rows if n.ends_at), default=None),
            "households": [{"name": n.case.applicant_name, "size": n.case.household_size,
                            "amount": amounts.fen(n.proposed_amount)
                            if n.proposed_amount is not None else None} for n in rows],
            "documents": dict(newest.documents or {}),
        })
    sheets.sort(key=lambda s: (s["village_code"], s["starts_at"], s["title"]))
    return sheets


def _day(value: datetime | None):
    return calendar.local_date(value) if value else None


def _common(db: Session, case: Case, version: ProcedureVersion) -> dict[str, Any]:
    """What every document of a case prints: the case, its places, household and application."""
    form = procedures.form_of(version, version.start_form)
    app = case.application or {}
    application = _form_data(db, case.id, form, app)
    return {
        "case": {"id": case.id, "procedure": version.name, "version": version.version,
                 "status": case.status, "opened_at": case.opened_at,
                 "closed_at": case.closed_at, "due_at": case.due_at},
        "places": _places(db, case.village),
        "household": {"head_name": case.applicant_name, "size": case.household_size,
                      "head_id_number": str(app.get("head_id_number", "")),
                      "head_phone": str(app.get("head_phone", "")),
                      "address": str(app.get("address", ""))},
        "application": application,
        "members": application["tables"].get("members"),
        "incomes": application["tables"].get("incomes"),
        "assets": application["tables"].get("assets"),
        **_income(app.get("incomes"), case.household_size),
        "decisions": _decisions(db, case, version),
        "documents": dict(_documents(db, version)),
    }


# Declared income the rules do not count (社会救助 rules: the centrally set 基础养老金).
UNCOUNTED_INCOME = frozenset({"basic_pension"})


def _income(rows: Any, size: int) -> dict[str, Any]:
    """The household's counted yearly income (declared rows less UNCOUNTED_INCOME) and what it
    makes per person and month."""
    if not isinstance(rows, list):
        return {"income_total": None, "income_monthly_per_person": None}
    total = amounts.amount(0)
    for row in rows:
        try:
            if isinstance(row, dict) and row.get("category") not in UNCOUNTED_INCOME:
                total += amounts.amount(row.get("amount") or 0)
        except ValueError:  # a form without a money `amount` column: nothing to add up
            return {"income_total": None, "income_monthly_per_person": None}
    total = amounts.fen(total)
    per = amounts.fen(total / 12 / size) if size else None
    return {"income_total": total, "income_monthly_per_person": per}


def _documents(db: Session, version: ProcedureVersion) -> dict[str, str]:
    return db.scalar(select(ProcedureVersion.documents)
                     .where(ProcedureVersion.id == version.id)) or {}


def _places(db: Session, village: OrgUnit) -> dict[str, str]:
    """The names of the case's village and of the township and district above it."""
    codes = village.path_codes()
    by_level = {o.level: o for o in db.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}
    return {level: by_level[level].name if level in by_level else ""
            for level in ("village", "township", "district", "city", "province")}


def _official_names(db: Session, tasks: list[HumanTask]) -> dict[int, str]:
    """Officials by name (an account's display name), never by user name where there is one."""
    ids = {t.completed_by_id for t in tasks if t.completed_by_id}
    return {u.id: u.display_name or u.username
            for u in db.scalars(select(User).where(User.id.in_(ids)))}


def _step(db: Session, version: ProcedureVersion, task: HumanTask,
          names: dict[int, str]) -> dict[str, Any]:
    """A finished step: its result named as its form names it (批准, 不予认定…), its other
    entries as label and text, the official and the day."""
    try:
        form = procedures.form_of(version, task.form_key)
    except NotFound:
        form = None
    data = task.data or {}
    result = "已办理"
    if form is not None and "decision" in data:
        result = form.choice_label("decision", data["decision"])
    entries = _form_data(db, task.case_id, form, data)["fields"] if form else []
    return {"name": task.name, "step": task.step, "level": task.level, "org": task.org.name,
            "outcome": task.outcome, "result": result,
            "opinion": [e for e in entries if e["name"] != "decision"],
            "official": names.get(task.completed_by_id or 0, ""),
            "at": task.completed_at}


def _form_data(db: Session, case_id: int, form: forms.Form,
               data: dict[str, Any]) -> dict[str, Any]:
    """A form's filled-in values as text: single fields in order, repeatable groups as
    tables with their column labels."""
    fields, tables = [], {}
    for f in form.fields:
        value = data.get(f.name)
        if f.type == "rows":
            rows = value if isinstance(value, list) else []
            tables[f.name] = {"label": f.label, "columns": [s.label for s in f.fields],
                              "rows": [[_text(db, case_id, s, r.get(s.name)) for s in f.fields]
                                       for r in rows if isinstance(r, dict)]}
        elif value not in (None, "", []):
            fields.append({"name": f.name, "label": f.label, "type": f.type,
                           "text": _text(db, case_id, f, value)})
    return {"title": form.title, "fields": fields, "tables": tables, "values": dict(data)}


def _text(db: Session, case_id: int, f: Any, value: Any) -> str:
    """One stored value as printed: option labels, 是/否, money to the fen, file names."""
    if value is None or value == "":
        return ""
    if f.type == "boolean":
        return "是" if value is True else "否" if value is False else str(value)
    if f.type in ("choice", "multi_choice"):
        values = value if isinstance(value, list) else [value]
        return "、".join(f.option_label(v) or str(v) for v in values)
    if f.type == "money" and isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return f"{amounts.fen(value):,.2f}"
        except (ValueError, ArithmeticError):
            return str(value)
    if f.type == "date" and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.year}年{day.month}月{day.day}日"
    if f.type == "file":
        return attachments.describe(db, case_id, str(value)) or "（附件）"
    return str(value)


def _decisions(db: Session, case: Case, version: ProcedureVersion) -> dict[str, Any]:
    """What the case's decision tables gave (eligible, proposed_amount, refusal_reason…): as
    the workflow ended, or as its open step sees it."""
    model = procedures.model_of(version)
    if not model.decisions:
        return {}
    state = db.scalar(select(ProcessInstance.state).where(ProcessInstance.case_id == case.id))
    if not state:
        return {}
    wf = instances.load(case, state, model, instances.submitted_forms(db, case))
    if wf.is_completed():
        data = spiff.final_data(wf)
    else:
        ready = spiff.ready_user_tasks(wf)
        data = dict(ready[0].data) if ready else dict(wf.data)
    return {name: data[name] for name in spiff.decision_outputs(model) if name in data}



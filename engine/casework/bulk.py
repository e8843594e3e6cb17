"""Opening many cases of one procedure at once (the yearly review), set-based.

`cases.open_case` runs SpiffWorkflow and writes a case's rows one by one: 7 statements and
3–14 ms a household. Here the workflow runs once per procedure version
(engine/workflow/spiff/template.py) and every household's rows are written in a few
statements for the whole chunk: the cases, their households' latest village, their members
and cross-check hits, the workflow states (the template with the household's application and
new task ids), the open tasks routed to the village's orgs with their due dates, and the
audit entries with their hash chains, exactly as the one-by-one path writes them. A version
whose way to its first wait may depend on the household has no template: its cases are
opened one by one, as are households not yet known in the version's region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import cases, hits, instances
from engine.money.households import HEAD_FIELD
from engine.store import audit, rows
from engine.store.models import (
    LEVEL_NAMES,
    AuditChain,
    AuditEvent,
    Case,
    CaseMember,
    CrosscheckHit,
    CrosscheckList,
    Household,
    HumanTask,
    OrgUnit,
    ProcedureVersion,
    ProcessInstance,
    User,
)
from engine.time import calendar
from engine.workflow import procedures, spiff
from engine.workflow.spiff import template as templates

# By (database, version id): a process may serve several databases (the tests do).
_templates: dict[tuple[int, int, int], templates.StartTemplate | None] = {}


@dataclass
class Outcome:
    opened: list[int] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None


@dataclass(frozen=True)
class _Place:
    """What every case of a village shares: its ids, its orgs' ids by level and its due
    dates (plain values: kept across the transactions of a job)."""

    village_id: int
    path: str
    orgs: dict[str, int]
    case_due: tuple[datetime | None, str]
    step_due: dict[str, tuple[datetime | None, str]]


def template_for(db: Session, version: ProcedureVersion, probe: dict[str, Any]
                 ) -> templates.StartTemplate | None:
    """The version's template, checked once per process against a real application."""
    key = (procedures.cache_generation(), id(db.get_bind()), version.id)
    if key not in _templates:
        model = procedures.model_of(version)
        found = templates.build(model)
        _templates[key] = (found if found is not None
                           and templates.verify(found, model, probe) else None)
    return _templates[key]


def _due(db: Session, path: str, now: datetime, working: int | None,
         days: int | None = None) -> tuple[datetime | None, str]:
    try:
        return calendar.due_at(now, working, days, calendar.regions_of(path), db), ""
    except calendar.YearNotCovered as exc:
        return None, str(exc)


def _place(db: Session, model: spiff.ProcessModel, village: OrgUnit, steps: list[str],
           now: datetime) -> _Place | str:
    """What the village's cases share, or why its cases cannot open (instances.open_rows_for
    refuses the same: a step's level has no org above the village)."""
    orgs = {level: org.id for level, org in instances._orgs_by_level(db, village.path).items()}
    for step_id in steps:
        step = model.steps[step_id]
        if orgs.get(step.level or "") is None:
            return (f"步骤“{step.name}”需由{LEVEL_NAMES.get(step.level or '', step.level)}"
                    f"办理，但{village.name}（{village.code}）的上级中没有该层级机构")
    return _Place(village.id, village.path, orgs,
                  _due(db, village.path, now, model.due_working_days),
                  {s: _due(db, village.path, now, model.steps[s].due_working_days,
                           model.steps[s].due_days) for s in steps})


def _households(db: Session, version: ProcedureVersion, heads: list[str]
                ) -> dict[str, tuple[int, bool, str]]:
    """(household id, has a running case, head's name) by head ID number, in the version's
    region (households.link, for a chunk)."""
    running = (select(Case.id).where(Case.household_id == Household.id,
                                     Case.status == "running").exists())
    rows = db.execute(select(Household.head_id_number, Household.id, running,
                             Household.head_name).where(
        Household.region_path == version.region.path, Household.head_id_number.in_(heads)))
    return {head: (household_id, busy, name) for head, household_id, busy, name in rows}


def _head(application: dict[str, Any]) -> str:
    return str(application.get(HEAD_FIELD) or "").strip().upper()


def open_many(db: Session, actor: User | None, version: ProcedureVersion,
              items: list[tuple[OrgUnit, dict[str, Any]]], comment: str,
              now: datetime, places: dict[tuple, Any] | None = None) -> Outcome:
    """Open a case of `version` for each (village, application on file), in the caller's
    transaction; households with a running case are skipped and counted. `places` keeps each
    village's orgs and due dates across the calls of one job (read once per village)."""
    out = Outcome()
    if not items:
        return out
    found = template_for(db, version, items[0][1])
    known = _households(db, version, [h for _, a in items if (h := _head(a))])
    bulk, single, seen = [], [], set()
    for village, application in items:
        head = _head(application)
        household = known.get(head)
        if (household is not None and household[1]) or (head and head in seen):
            out.skipped += 1
        elif found is None or household is None:
            single.append((village, application))
        else:
            bulk.append((village, application, household[0], household[2]))
        seen.add(head)
    places = _places(db, version, found, [v for v, *_ in bulk], now,
                     {} if places is None else places)
    for village, application in single:
        out.opened.append(cases.open_case(db, actor, version, village, dict(application),
                                          comment, now).id)
    fit = [item for item in bulk if isinstance(places[item[0].id], _Place)]
    if len(fit) < len(bulk):
        out.skipped += len(bulk) - len(fit)
        out.error = next(p for p in places.values() if isinstance(p, str))
    if fit:
        out.opened += _write(db, actor, version, found, fit, places, comment, now)
    return out


def _places(db: Session, version: ProcedureVersion, found: templates.StartTemplate | None,
            villages: list[OrgUnit], now: datetime, known: dict[tuple, Any]
            ) -> dict[int, _Place | str]:
    """Each village's _Place (or why it has none), read before anything is written; due
    dates depend only on the local day."""
    places: dict[int, _Place | str] = {}
    if found is None:
        return places
    model, steps = procedures.model_of(version), [step for step, _ in found.ready]
    day = calendar.local_date(now)
    for village in villages:
        key = (version.id, village.id, day)
        if key not in known:
            known[key] = _place(db, model, village, steps, now)
        places[village.id] = known[key]
    return places


def _write(db: Session, actor: User | None, version: ProcedureVersion,
           found: templates.StartTemplate, items: list, places: dict[int, Any],
           comment: str, now: datetime) -> list[int]:
    """Every row of the bulk-opened cases, in a few statements."""
    model = procedures.model_of(version)
    steps = [step for step, _ in found.ready]
    case_ids = rows.add(db, Case.__table__, [
        _case_row(version, places[v.id], a, h, actor, now) for v, a, h, _ in items], ids=True)
    rows.set_by_id(db, Household.__table__, [
        {"id": h, "org_path": v.path, "head_name": str(a.get("head_name", name))[:100]}
        for v, a, h, name in items])
    _members(db, case_ids, [a for _, a, *_ in items], [v.path for v, *_ in items], now)
    tasks, states = [], []
    for case_id, (village, application, *_) in zip(case_ids, items, strict=True):
        state, ids = found.render(application)
        states.append({"case_id": case_id, "state": state,
                       "serializer_version": spiff.SERIALIZER_VERSION, "next_timer_at": None,
                       "updated_at": now, "version": 1, "timer_attempts": 0})
        tasks += [_task_row(model, places[village.id], case_id, step, ids[old], now)
                  for step, old in found.ready]
    rows.add(db, ProcessInstance.__table__, states)
    rows.add(db, HumanTask.__table__, tasks)
    _audit(db, actor, model, case_ids, items, places, steps, comment, now)
    return case_ids


def _case_row(version: ProcedureVersion, place: _Place, application: dict[str, Any],
              household_id: int, actor: User | None, now: datetime) -> dict[str, Any]:
    name, size = cases._household(application)
    return {"procedure_version_id": version.id, "village_id": place.village_id,
            "org_path": place.path, "status": "running", "applicant_name": name,
            "household_size": size, "application": application, "opened_at": now,
            "opened_by_id": actor.id if actor else None, "due_at": place.case_due[0],
            "household_id": household_id}


def _task_row(model: spiff.ProcessModel, place: _Place, case_id: int, step_id: str,
              workflow_task_id: str, now: datetime) -> dict[str, Any]:
    step = model.steps[step_id]
    return {"case_id": case_id, "workflow_task_id": workflow_task_id, "step": step.id,
            "name": step.name, "form_key": HumanTask.stored_form_key(step.id, step.form_key),
            "level": step.level or "",
            "org_id": place.orgs[step.level or ""], "created_at": now,
            "due_at": place.step_due[step_id][0], "version": 1}


def _members(db: Session, case_ids: list[int], applications: list[dict[str, Any]],
             paths: list[str], now: datetime) -> None:
    """Members indexed and matched against the current lists covering them (hits.open_case)."""
    members = [{"case_id": case_id, **m} for case_id, application in zip(
        case_ids, applications, strict=True) for m in hits.members_of(application)]
    if not members:
        return
    rows.add(db, CaseMember.__table__, members)
    current = db.execute(select(CrosscheckList.id, CrosscheckList.region_path)
                         .where(hits.current_lists())).all()
    covering = {list_id for list_id, region in current
                if any(path.startswith(region) for path in set(paths))}
    for list_id in sorted(covering):
        db.execute(CrosscheckHit.__table__.insert().from_select(
            hits.HIT_COLUMNS, hits.match_select(now, list_id, Case.id.in_(case_ids))))


def _audit(db: Session, actor: User | None, model: spiff.ProcessModel, case_ids: list[int],
           items: list, places: dict[int, _Place], steps: list[str], comment: str,
           now: datetime) -> None:
    """The entries open_case writes (case.opened, then any unknown deadline), chained."""
    events, heads = [], {}
    for case_id, (village, application, *_) in zip(case_ids, items, strict=True):
        place, previous = places[village.id], audit.GENESIS
        entries = [("case.opened", model.start_form, comment,
                    {"application_sha256": audit.application_digest(application)})]
        if place.case_due[1]:
            entries.append(("deadline.unknown", None, place.case_due[1], None))
        entries += [("deadline.unknown", s, place.step_due[s][1], None)
                    for s in steps if place.step_due[s][1]]
        for action, step, text, changes in entries:
            fields = {"at": now, "actor_id": actor.id if actor else None,
                      "actor_name": actor.username if actor else "system",
                      "case_id": case_id, "task_id": None, "step": step, "action": action,
                      "comment": text or "", "changes": changes}
            previous = fields["hash"] = audit.event_hash(fields, previous)
            events.append(fields)
        heads[case_id] = previous
    ids = rows.add(db, AuditEvent.__table__, events, ids=True)
    last = {e["case_id"]: event_id for e, event_id in zip(events, ids, strict=True)}
    rows.add(db, AuditChain.__table__, [{"chain_id": c, "last_hash": heads[c],
                                     "last_event_id": last[c]} for c in case_ids])

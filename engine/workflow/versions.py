"""Procedure versions: what changed between two deployed versions of a procedure.

A case stays on the version it started with (its state is restored with that version's
cached spec); new cases take the newest (`procedures.newest_for`). Moving a running case to
the newest version is casework (engine/casework/migration.py). The SpiffWorkflow side (task
specs, task states, the spec and workflow diffs) lives in engine/workflow/spiff_versions.py;
this module speaks of steps and versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.errors import BadRequest, Forbidden, NotFound
from engine.store.models import OrgUnit, ProcedureVersion, User
from engine.workflow import procedures, spiff, spiff_versions
from engine.workflow.spiff_versions import next_steps

READ_ROLES = ("designer", "admin", "district")
STEP_FIELDS = ("name", "level", "form_key", "due_working_days", "due_days")


@dataclass(frozen=True)
class StepChange:
    id: str
    name: str
    fields: dict[str, tuple[Any, Any]]  # field → (old, new)


@dataclass(frozen=True)
class VersionDiff:
    key: str
    from_version: int
    to_version: int
    added: list[spiff.Step] = field(default_factory=list)
    removed: list[spiff.Step] = field(default_factory=list)
    changed: list[StepChange] = field(default_factory=list)
    # Other BPMN elements (gateways, events, end events) SpiffWorkflow's spec diff saw
    # added, removed or changed: {bpmn id: "added" | "removed" | "changed"}.
    elements: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.elements)


@dataclass(frozen=True)
class VersionEntry:
    version: ProcedureVersion
    changes: VersionDiff | None  # against the previous version; None for the first


# ---------------------------------------------------------------- comparing versions


def _require(actor: User | None, roles: Iterable[str], message: str) -> None:
    if actor is not None and actor.role not in roles:
        raise Forbidden(message)


def _versions(db: Session, key: str, region_code: str | None) -> list[ProcedureVersion]:
    """The versions of `key` deployed for one region, newest first."""
    query = (select(ProcedureVersion).join(ProcedureVersion.region)
             .where(ProcedureVersion.key == key)
             .order_by(ProcedureVersion.version.desc()))
    if region_code:
        query = query.where(OrgUnit.code == region_code)
    found = list(db.scalars(query))
    if not found:
        raise NotFound(f"流程 {key} 不存在" + (f"（地区 {region_code}）" if region_code else ""))
    if len({v.region_id for v in found}) > 1:
        raise BadRequest(f"流程 {key} 在多个地区部署，请用 region 参数指定地区")
    return found


def diff_models(key: str, from_version: int, old: spiff.ProcessModel, to_version: int,
                new: spiff.ProcessModel) -> VersionDiff:
    """Steps added, removed and changed (same id, different name, level, form, deadline or,
    for user tasks, where they lead), and the other elements SpiffWorkflow saw change."""
    added = [s for sid, s in new.steps.items() if sid not in old.steps]
    removed = [s for sid, s in old.steps.items() if sid not in new.steps]
    changed = []
    for sid, before in old.steps.items():
        after = new.steps.get(sid)
        if after is None:
            continue
        fields = {f: (getattr(before, f), getattr(after, f)) for f in STEP_FIELDS
                  if getattr(before, f) != getattr(after, f)}
        if before.kind == "user" and after.kind == "user":
            targets = (next_steps(old, sid), next_steps(new, sid))
            if targets[0] != targets[1]:
                fields["next"] = (list(targets[0]), list(targets[1]))
        if before.kind != after.kind:
            fields["kind"] = (before.kind, after.kind)
        if fields:
            changed.append(StepChange(sid, after.name, fields))
    return VersionDiff(key, from_version, to_version, added, removed, changed,
                       spiff_versions.element_changes(old, new))


def _diff(old: ProcedureVersion, new: ProcedureVersion) -> VersionDiff:
    return diff_models(old.key, old.version, procedures.model_of(old), new.version,
                       procedures.model_of(new))


def compare(db: Session, actor: User | None, key: str, region_code: str | None,
            from_version: int, to_version: int) -> VersionDiff:
    """What changed from one deployed version of a procedure to another."""
    _require(actor, READ_ROLES, "只有流程设计人员、管理员或区级人员可以查看流程版本")
    by_number = {v.version: v for v in _versions(db, key, region_code)}
    missing = [n for n in (from_version, to_version) if n not in by_number]
    if missing:
        raise NotFound(f"流程 {key} 没有第 {missing[0]} 版")
    return _diff(by_number[from_version], by_number[to_version])


def history(db: Session, key: str, region_code: str | None,
            actor: User | None = None) -> list[VersionEntry]:
    """Every version of a procedure in a region, newest first, each with its changes."""
    _require(actor, READ_ROLES, "只有流程设计人员、管理员或区级人员可以查看流程版本")
    found = _versions(db, key, region_code)
    return [VersionEntry(v, _diff(found[i + 1], v) if i + 1 < len(found) else None)
            for i, v in enumerate(found)]

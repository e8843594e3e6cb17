"""Procedure versions: each version's changes, a diff of two, moving a case to the newest."""

from typing import Any

from flask import request

from engine import versions
from engine.errors import BadRequest

from ..extensions import db
from . import actor, api, views


def changes(d: versions.VersionDiff | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "from_version": d.from_version,
        "to_version": d.to_version,
        "added": [_step(s) for s in d.added],
        "removed": [_step(s) for s in d.removed],
        "changed": [{"id": c.id, "name": c.name,
                     "fields": {k: {"from": old, "to": new} for k, (old, new) in c.fields.items()}}
                    for c in d.changed],
        "elements": d.elements,
    }


def _step(s) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "kind": s.kind, "level": s.level, "form": s.form_key,
            "due_working_days": s.due_working_days, "due_days": s.due_days}


def _version_arg(name: str) -> int:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        raise BadRequest(f"参数 {name} 应为版本号（整数）") from None


@api.get("/procedures/<key>/versions")
def procedure_versions(key: str):
    """Every version of a procedure in a region (?region=CODE), newest first, with changes."""
    entries = versions.history(db.session, key, request.args.get("region") or None, actor())
    return [{**views.procedure(e.version), "changes": changes(e.changes)} for e in entries]


@api.get("/procedures/<key>/diff")
def procedure_diff(key: str):
    """What changed between two versions (?region=CODE&from=N&to=M)."""
    diff = versions.compare(db.session, actor(), key, request.args.get("region") or None,
                            _version_arg("from"), _version_arg("to"))
    return changes(diff)


@api.post("/cases/<int:case_id>/migrate")
def migrate_case(case_id: int):
    """Move a running case to the newest version of its procedure; 409 says why not."""
    case = versions.migrate(db.session, actor(), case_id)
    return {"id": case.id, "procedure": case.procedure.key, "version": case.procedure.version,
            "status": case.status}

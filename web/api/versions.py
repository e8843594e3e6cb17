"""Procedure versions: each version's changes, a diff of two, moving a case to the newest."""

from typing import Any

from engine.casework import migration
from engine.workflow import versions

from ..extensions import db
from . import actor, api, schemas, views


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


@api.get("/procedures/<key>/versions")
@api.arguments(schemas.RegionQuery, location="query")
@api.alt_response(200, schema=schemas.VersionEntry(many=True), success=True)
def procedure_versions(args, key: str):
    """Every version of a procedure in a region (?region=CODE), newest first, with changes."""
    entries = versions.history(db.session, key, args.get("region") or None, actor())
    return [{**views.procedure(e.version), "changes": changes(e.changes)} for e in entries]


@api.get("/procedures/<key>/diff")
@api.arguments(schemas.DiffQuery, location="query")
@api.alt_response(200, schema=schemas.Changes, success=True)
def procedure_diff(args, key: str):
    """What changed between two versions (?region=CODE&from=N&to=M)."""
    diff = versions.compare(db.session, actor(), key, args.get("region") or None,
                            args["from_"], args["to"])
    return changes(diff)


@api.post("/cases/<int:case_id>/migrate")
@api.alt_response(200, schema=schemas.Migrated, success=True)
def migrate_case(case_id: int):
    """Move a running case to the newest version of its procedure; 409 says why not."""
    case = migration.migrate(db.session, actor(), case_id)
    return {"id": case.id, "procedure": case.procedure.key, "version": case.procedure.version,
            "status": case.status}

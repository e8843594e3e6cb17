"""Moving a running case to the newest version of its procedure.

A designer may move a running case to the newest version when SpiffWorkflow's workflow diff
says it is safe (engine/workflow/spiff_versions.py):

- no task the case has reached (open, waiting or done) lost its step in the new version,
  because stored state names its steps and could not be restored against the new spec;
- no open or waiting step changed what officials see or do there (name, lane, form,
  deadline, timer or message), only what comes after it, which is predicted anew.

Waiting tasks keep their internal data across the move, so a public notice's period does
not restart. The move goes through engine.casework.moves like every other, and everything is
written in one transaction or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.casework import moves
from engine.store import audit
from engine.store.errors import Conflict, Forbidden, NotFound
from engine.store.models import Case, OrgUnit, User
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import procedures, spiff_versions

MIGRATE_ROLES = procedures.DEPLOYER_ROLES


def migrate(db: Session, actor: User, case_id: int, now: datetime | None = None) -> Case:
    """Move a running case to the newest version of its procedure, if that is safe."""
    now = now or clock.now()
    if actor.role not in MIGRATE_ROLES:
        raise Forbidden("只有流程设计人员或管理员可以迁移案件")
    with unit_of_work(db):
        case = db.scalar(select(Case).options(joinedload(Case.instance),
                                              joinedload(Case.procedure))
                         .where(Case.id == case_id))
        if case is None or not case.org_path.startswith(actor.org.path):
            raise NotFound("案件不存在")
        if case.status != "running":
            raise Conflict("案件已办结，无需迁移")
        old = case.procedure
        village = db.get(OrgUnit, case.village_id)
        new = procedures.newest_for(db, old.key, village)
        if new.id == old.id or (new.region_id == old.region_id and new.version < old.version):
            raise Conflict(f"案件已在最新版本（第 {old.version} 版），无需迁移")
        new_model = procedures.model_of(new)

        def step(wf, context) -> None:
            problems = spiff_versions.move(wf, new_model, context)
            if not problems and not spiff_versions.restorable(wf, new_model):
                problems = ["迁移后的流程状态无法按新版本恢复"]
            if problems:
                raise Conflict(f"案件无法迁移到第 {new.version} 版：{'；'.join(problems)}")

        moves.move(db, case, now, step, instance=case.instance, to=new_model)
        case.procedure = new
        audit.record(db, now, actor, "case.migrated", case=case,
                     comment=f"由第 {old.version} 版迁移至第 {new.version} 版",
                     changes={"from_version": old.version, "to_version": new.version,
                              "from_version_id": old.id, "to_version_id": new.id})
    return case

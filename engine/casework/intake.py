"""Where an official may take in an application: the one check that opening a case, an intake
draft and the duplicate lookup all make before they touch anything."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.people import scope
from engine.people.orgs import by_code
from engine.store.errors import Forbidden, Invalid, NotFound
from engine.store.models import OrgUnit, ProcedureVersion, User
from engine.workflow import procedures


def place(db: Session, actor: User, procedure_key: str,
          village_code: str) -> tuple[OrgUnit, ProcedureVersion]:
    """The village and the procedure version deployed for it, if the actor takes in there:
    Invalid for an unknown village, Forbidden outside the actor's intake, NotFound when the
    procedure is not deployed there."""
    try:
        village = by_code(db, village_code)
    except NotFound:
        raise Invalid({"village": [f"村代码 {village_code} 不存在"]}) from None
    if not scope.can_start_case_in(actor, village):
        raise Forbidden("您无权为该村受理申请")
    version = procedures.newest_for(db, procedure_key, village)
    if procedures.model_of(version).regional and \
            not scope.can_start_region_procedure_in(actor, village):
        raise Forbidden(f"{version.name}按地区办理（调整标准或重新核算全地区待遇），只能由区级"
                        "人员或管理员在区（县）及以上发起，不能在村（居）发起")
    return village, version

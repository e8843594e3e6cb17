"""Display names for codes (statuses, actions, roles, levels) and each role's navigation,
all through gettext so the English switch covers them."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework import tasks
from engine.casework.workspace import Powers
from engine.workflow import procedures

from ..extensions import db

STATUS = {
    "running": _l("办理中"),
    "approved": _l("已批准"),
    "rejected": _l("不予认定"),
    "withdrawn": _l("已撤回"),
    "exited": _l("已退出"),
}
ACTION = {
    "case.opened": _l("受理申请"),
    "task.completed": _l("办理完成"),
    "task.claimed": _l("认领"),
    "task.unclaimed": _l("退回待认领"),
    "task.prefill_changed": _l("修改预填值"),
    "timer.fired": _l("公示期满"),
    "deadline.unknown": _l("期限无法计算"),
    "deadline.set": _l("补定办理期限"),
    "procedure.deployed": _l("部署流程"),
    "case.approved": _l("审批通过，办结"),
    "case.rejected": _l("不予认定，办结"),
    "case.withdrawn": _l("申请撤回，办结"),
    "case.exited": _l("退出，办结"),
    "case.extended": _l("延长办理期限"),
    "case.migrated": _l("迁移到新版本流程"),
    "notice.objection": _l("公示期间收到异议"),
    "notice.objected": _l("因异议转入重新调查或评议"),
    "objection.replied": _l("答复异议"),
    "task.escalated": _l("逾期督办"),
    "job.created": _l("发起批量处理"),
    "benefit.adjusted": _l("调整保障金额"),
    "benefit.ended": _l("停发保障金"),
    "crosscheck.explained": _l("说明部门比对命中"),
    "crosscheck.imported": _l("导入部门比对名单"),
    "crosscheck.matched": _l("部门比对完成"),
    "household.deregistered": _l("销号"),
}
RELATION = {
    "self": _l("户主"),
    "spouse": _l("配偶"),
    "child": _l("子女"),
    "parent": _l("父母"),
    "grandchild": _l("孙子女"),
    "sibling": _l("兄弟姐妹"),
    "other": _l("其他"),
}
CATEGORY = {  # the categories the bundles decide (认定类别, 分类施保类别)
    "dibao": _l("低保"),
    "poverty": _l("建档立卡贫困户"),
    "both": _l("低保贫困户"),
    "hardship": _l("困难家庭"),  # the shared district_approval form's (临办发〔2018〕34号)
    "severe_disability": _l("重度残疾"),
    "serious_illness": _l("重病"),
    "elderly": _l("老年人"),
    "minor": _l("未成年人"),
    "none": _l("一般"),
    "": _l("未分类"),
}
ROLE = {
    "clerk": _l("镇（街道）受理窗口"),
    "village": _l("村级经办人"),
    "township": _l("镇（街道）审核人"),
    "district": _l("区级审批人"),
    "assessor": _l("第三方评估人员"),
    "admin": _l("系统管理员"),
    "designer": _l("流程设计人员"),
}
LEVEL = {
    "province": _l("省"),
    "city": _l("市"),
    "district": _l("区（县）"),
    "township": _l("镇（街道）"),
    "village": _l("村（居）"),
    "assessor": _l("第三方评估机构"),
}
OUTCOME = {
    "approve": _l("同意"),
    "return": _l("退回"),
    "reject": _l("不同意"),
    "done": _l("已办理"),
}


def category_label(category: str) -> str:
    return str(CATEGORY.get(category, category))


def role_label(role: str) -> str:
    return str(ROLE.get(role, role))


def status_label(status: str) -> str:
    return str(STATUS.get(status, status))


def action_label(action: str) -> str:
    return str(ACTION.get(action, action))


def level_label(level: str | None) -> str:
    return str(LEVEL.get(level or "", level or ""))


def outcome_label(outcome: str | None) -> str:
    return str(OUTCOME.get(outcome or "", outcome or ""))


def relation_label(relation: str) -> str:
    return str(RELATION.get(relation, relation))


def english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def step_name(row: Any) -> str:
    """A task's or notice's step name in the page's language: with ?lang=en the nameEn its own
    case's procedure version gives (bpmn/README.md), else the Chinese name it was opened with."""
    if not english():
        return row.name
    return tasks.english_step_name(db.session, row) or row.name


def procedure_name(version: Any) -> str:
    """A deployed procedure version's name in the page's language (its nameEn in English)."""
    if not english():
        return version.name
    return procedures.english_name(version) or version.name


# Steps the engine itself records in a history, outside any procedure's model.
SYSTEM_STEPS = {"roll_import": _l("名册导入")}


def model_step_name(step: Any) -> str:
    """A step of a procedure model (engine.workflow.spiff.Step) named in the page's language."""
    return step.name_en if step.name_en and english() else step.name


def nav_for(powers: Powers) -> list[tuple[str, str]]:
    """(endpoint, label) pairs for what the engine lets the user do; the first is their
    landing page: the inbox, else intake for those who take in households, else the cases."""
    items: list[tuple[str, str]] = []
    if powers.inbox:
        items.append(("pages.inbox", _("待办")))
    if powers.intake and powers.intake_first:
        items.append(("pages.intake", _("受理")))
    if powers.cases:
        items.append(("pages.cases", _("案件")))
    if powers.intake and not powers.intake_first:
        items.append(("pages.intake", _("受理")))
    if powers.crosscheck:
        items.append(("pages.crosscheck", _("部门比对")))
    if powers.procedures_only:
        items.append(("pages.procedures", _("流程")))
    return items

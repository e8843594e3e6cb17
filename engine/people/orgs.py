"""The org tree: district → township → village, and assessors registered under a district."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.errors import Invalid, NotFound
from engine.store.models import LEVEL_NAMES, LEVELS, Case, OrgUnit, User
from engine.store.uow import unit_of_work

MAX_NAME = 100  # org_unit.name
# Which parent levels each level may hang under.
PARENT_LEVELS = {
    "province": (None,),
    "city": (None, "province"),
    "district": (None, "province", "city"),
    "township": ("district",),
    "village": ("township",),
    "assessor": ("district", "city", "province"),
}


# Levels that are regions: what a standard or a bureau's list is set for (not a village or
# an assessor).
REGION_LEVELS = ("province", "city", "district", "township")


def by_code(db: Session, code: str) -> OrgUnit:
    org = db.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if org is None:
        raise NotFound(f"机构代码 {code} 不存在")
    return org


def _parse_csv(text: str) -> tuple[list[dict[str, str]], list[str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = ["code", "name", "level", "parent_code"]
    if [h.strip() for h in (reader.fieldnames or [])] != expected:
        return [], [f"表头应为 {','.join(expected)}，实际为 {','.join(reader.fieldnames or [])}"]
    rows, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        if None in raw:  # csv puts values past the header's columns under None
            problems.append(f"第 {line} 行：值的个数多于表头的 4 列")
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if any("\x00" in v for v in row.values()):
            problems.append(f"第 {line} 行：不能包含空字符（\\0）")
            continue
        if not row["code"] or not row["name"]:
            problems.append(f"第 {line} 行：code 和 name 不能为空")
        elif len(row["code"]) > 32 or "/" in row["code"]:
            problems.append(f"第 {line} 行：机构代码 {row['code']} 过长或含有“/”")
        elif len(row["name"]) > MAX_NAME:
            problems.append(f"第 {line} 行：机构名称超过 {MAX_NAME} 字")
        if row["level"] not in LEVELS:
            problems.append(f"第 {line} 行：level “{row['level']}” 应为 {', '.join(LEVELS)} 之一")
        if row["code"] in seen:
            problems.append(f"第 {line} 行：机构代码 {row['code']} 重复")
        seen.add(row["code"])
        row["line"] = str(line)
        rows.append(row)
    return rows, problems


def import_csv(db: Session, text: str) -> tuple[int, int]:
    """Upsert org units from CSV `code,name,level,parent_code`; all rows or none."""
    rows, problems = _parse_csv(text)
    with unit_of_work(db):
        existing = {o.code: o for o in db.scalars(select(OrgUnit))}
        by_code_in_file = {r["code"]: r for r in rows}
        for row in rows:
            if row["level"] not in LEVELS:
                continue
            parent_code = row["parent_code"]
            parent_level = None
            if parent_code:
                if parent_code in by_code_in_file:
                    parent_level = by_code_in_file[parent_code]["level"]
                elif parent_code in existing:
                    parent_level = existing[parent_code].level
                else:
                    problems.append(f"第 {row['line']} 行：上级机构 {parent_code} 不存在")
                    continue
            if parent_level not in PARENT_LEVELS[row["level"]]:
                want = "、".join(LEVEL_NAMES[p] if p else "无上级"
                                for p in PARENT_LEVELS[row["level"]])
                problems.append(
                    f"第 {row['line']} 行：{LEVEL_NAMES[row['level']]} {row['code']} "
                    f"的上级应为 {want}"
                )
        problems += _moves_in_use(db, rows, existing)
        if problems:
            raise Invalid({"file": problems}, "机构文件有误，未导入任何数据")
        created = updated = 0
        for row in _parents_first(rows):
            parent = existing[row["parent_code"]] if row["parent_code"] else None
            org = existing.get(row["code"])
            if org is None:
                org = existing[row["code"]] = OrgUnit(code=row["code"])
                db.add(org)
                created += 1
            else:
                updated += 1
            org.name, org.level, org.parent = row["name"], row["level"], parent
            org.path = (parent.path if parent is not None else "/") + org.code + "/"
        db.flush()
        _repath_descendants(db, existing)
    return created, updated


def _moves_in_use(db: Session, rows: list[dict[str, str]],
                  existing: dict[str, OrgUnit]) -> list[str]:
    """Rows that would change the level or the parent of an org already in use.

    A case, household, notice or payroll line keeps the path its village had when it was
    written (the scope of every query), so moving an org with cases under it, or re-levelling
    one that has users, sub-orgs or cases, would leave them where no official finds them.
    """
    problems = []
    code_of = {o.id: o.code for o in existing.values()}
    for row in rows:
        org = existing.get(row["code"])
        if org is None:
            continue
        releveled = row["level"] != org.level
        moved = (row["parent_code"] or None) != code_of.get(org.parent_id)
        if not (releveled or moved):
            continue
        cases = db.scalar(select(func.count()).select_from(Case).where(
            Case.org_path.startswith(org.path, autoescape=True)))
        users = db.scalar(select(func.count()).select_from(User).where(User.org_id == org.id))
        children = db.scalar(select(func.count()).select_from(OrgUnit).where(
            OrgUnit.parent_id == org.id))
        if releveled and (cases or users or children):
            problems.append(f"第 {row['line']} 行：机构 {org.code} 已有用户、下级机构或案件，"
                            f"层级不能从 {LEVEL_NAMES[org.level]} 改为 "
                            f"{LEVEL_NAMES.get(row['level'], row['level'])}")
        elif moved and cases:
            problems.append(f"第 {row['line']} 行：机构 {org.code} 下已有 {cases} 件案件，"
                            "不能调整其上级机构")
    return problems


def _parents_first(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Order rows so that a parent in the same file comes before its children."""
    in_file = {r["code"]: r for r in rows}
    ordered: list[dict[str, str]] = []
    placed: set[str] = set()
    pending = list(rows)
    while pending:
        ready = [r for r in pending
                 if r["parent_code"] not in in_file or r["parent_code"] in placed]
        if not ready:
            raise Invalid({"file": ["机构上下级关系存在循环"]}, "机构文件有误，未导入任何数据")
        ordered += ready
        placed.update(r["code"] for r in ready)
        pending = [r for r in pending if r["code"] not in placed]
    return ordered


def _repath_descendants(db: Session, orgs: dict[str, OrgUnit]) -> None:
    """A moved org takes its subtree along: recompute every path from its parent's."""
    by_id = {o.id: o for o in orgs.values()}

    def path_of(org: OrgUnit) -> str:
        parent = by_id.get(org.parent_id) if org.parent_id else None
        return (path_of(parent) if parent else "/") + org.code + "/"

    for org in orgs.values():
        org.path = path_of(org)
    db.flush()

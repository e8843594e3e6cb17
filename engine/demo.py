"""Demo data: Linzi district with the Huangcheng pilot, a user per role, ~20 cases in flight.

Cases are played through the real engine services with past timestamps, so their history,
deadlines and notice periods are what they would be had officials done the work.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import money
from engine.casework import cases, escalation, tasks, timers
from engine.data import crosscheck, roll
from engine.people import accounts, orgs
from engine.store.models import Case, CaseMember, HumanTask, OrgUnit, User
from engine.time import clock
from engine.workflow import procedures
from forms.idcard import check_char

BUNDLES = Path(__file__).resolve().parent.parent / "bpmn"
# A county's existing roll, adopted at set-up (`yimen households import`): 8 households.
SAMPLE_ROLL = Path(__file__).resolve().parent.parent / "docs" / "samples" / "roll-370305.xlsx"
DISTRICT = "370305"
PASSWORD = "yimen2026"

ORG_CSV = """code,name,level,parent_code
370000,山东省,province,
370300,淄博市,city,370000
370305,临淄区,district,370300
370305101,皇城镇,township,370305
370305102,敬仲镇,township,370305
370305101201,河崖头村,village,370305101
370305101202,邵家村,village,370305101
370305101203,北羊村,village,370305101
370305102201,白兔丘村,village,370305102
370305102202,敬仲村,village,370305102
370305102203,西高村,village,370305102
370305900,淄博民生第三方评估中心,assessor,370305
"""

# username, role, org code, display name
USERS = [
    ("admin", "admin", "370305", "区民政局系统管理员"),
    ("designer", "designer", "370305", "流程设计员"),
    ("qu_shenpi", "district", "370305", "区民政局审批员 王敏"),
    ("pinggu", "assessor", "370305900", "第三方评估员 李强"),
    ("hc_chuangkou", "clerk", "370305101", "皇城镇受理窗口 赵丽"),
    ("hc_shenhe", "township", "370305101", "皇城镇民政办 孙伟"),
    ("jz_chuangkou", "clerk", "370305102", "敬仲镇受理窗口 周红"),
    ("jz_shenhe", "township", "370305102", "敬仲镇民政办 吴刚"),
    ("heyatou", "village", "370305101201", "河崖头村协理员"),
    ("shaojia", "village", "370305101202", "邵家村协理员"),
    ("beiyang", "village", "370305101203", "北羊村协理员"),
    ("baituqiu", "village", "370305102201", "白兔丘村协理员"),
    ("jingzhong", "village", "370305102202", "敬仲村协理员"),
    ("xigao", "village", "370305102203", "西高村协理员"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "玉梅", "德明", "凤芝", "淑珍", "国庆", "海燕",
         "文华", "春生", "金凤", "长青", "树林", "美玲", "宝山", "翠花", "永祥", "丽娟"]


def id_number(birth: date, seq: int) -> str:
    first17 = f"370305{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)


def application(rng: random.Random, n: int) -> dict:
    surname = SURNAMES[n % len(SURNAMES)]
    head_birth = date(1950 + rng.randrange(30), rng.randrange(1, 13), rng.randrange(1, 28))
    size = rng.choice([1, 2, 3, 4])
    members = [{
        "relation": "self", "name": surname + GIVEN[n % len(GIVEN)],
        "id_number": id_number(head_birth, n * 10 + 1), "birth_date": head_birth.isoformat(),
        "labour_capacity": rng.choice(["partial", "none", "full"]),
        "disability_grade": rng.choice(["none", "none", "2", "3"]),
    }]
    for i in range(1, size):
        birth = date(1955 + rng.randrange(60), rng.randrange(1, 13), rng.randrange(1, 28))
        members.append({
            "relation": rng.choice(["spouse", "child", "parent"]),
            "name": surname + GIVEN[(n + i * 7) % len(GIVEN)],
            "id_number": id_number(birth, n * 10 + 1 + i), "birth_date": birth.isoformat(),
            "labour_capacity": rng.choice(["full", "partial", "none"]),
        })
    return {
        "head_name": members[0]["name"],
        "head_id_number": members[0]["id_number"],
        "head_phone": f"13{rng.randrange(10**8, 10**9)}",
        "address": f"{rng.randrange(1, 200)}号",
        "members": members,
        "incomes": [
            {"category": "wages", "amount": float(rng.randrange(0, 3000 * size))},
            {"category": "basic_pension", "amount": 1800.0},
        ],
        "assets": [{"kind": "house", "description": "自建砖瓦房", "value": 30000.0}],
        "hardship_cause": rng.choice(["illness", "disability", "lack_labour", "disaster"]),
        "hardship_description": "家庭主要劳动力患病，收入微薄。",
    }


STEP_DATA = {
    "village_evaluation": lambda d, at: {
        "meeting_date": at.date().isoformat(), "attendees": 21, "votes_for": 18,
        "votes_against": 3, "minutes": "村民代表会议民主评议。", "decision": d,
        **({"reason": "评议认为家庭收入情况需补充核实"} if d != "approve" else {})},
    "township_review": lambda d, at: {
        "investigation_date": at.date().isoformat(), "investigators": "孙伟、钱进",
        "home_visit": True, "per_capita_income": 2600.0, "opinion": "入户核实情况属实。",
        "decision": d, **({"reason": "材料不全"} if d != "approve" else {})},
    "district_crosscheck": lambda d, at: {
        "civil_affairs": "consistent", "poverty_office": "consistent",
        "disability_federation": "no_record", "human_resources": "consistent",
        "decision": d, **({"reason": "比对不一致"} if d != "approve" else {})},
    "third_party_verification": lambda d, at: {
        "verified_on": at.date().isoformat(), "assessor_name": "李强", "home_visit": True,
        "findings": "经入户验证，情况属实。", "decision": d,
        **({"reason": "与实际不符"} if d != "approve" else {})},
    "district_approval": lambda d, at: {
        "decision": d, **({"amount": 350.0, "category": "hardship"} if d == "approve"
                          else {"reason": "不符合条件"})},
}


def _worker_for(db: Session, task: HumanTask) -> User:
    return db.scalar(select(User).where(User.org_id == task.org_id, User.role == task.level))


def _play(db: Session, case_id: int, decisions: list[str], start: datetime) -> None:
    """Work a case's open tasks with these decisions, a day or so apart, firing notices."""
    at = start
    for decision in decisions:
        at += timedelta(days=1, hours=2)
        timers.run_pass(db, at)
        task = db.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                                 HumanTask.completed_at.is_(None)))
        if task is None:
            at += timedelta(days=8)
            timers.run_pass(db, at)
            task = db.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                                     HumanTask.completed_at.is_(None)))
        if task is None:
            return
        tasks.complete(db, _worker_for(db, task), task.id, STEP_DATA[task.step](decision, at),
                       comment="演示数据", now=at)


# How far each sample case has gone: decisions in step order.
SCENARIOS = [
    [], [], [], ["approve"], ["approve"], ["approve", "approve"], ["approve", "return"],
    ["approve", "approve", "approve"], ["approve", "approve", "approve", "approve"],
    ["approve"] * 5, ["approve"] * 5, ["reject"], ["approve", "reject"],
    ["approve", "approve", "approve", "reject"], [], ["approve"], ["approve", "approve"],
    ["approve", "approve", "return", "approve"], ["approve"] * 4, [],
]


def load(db: Session) -> bool:
    """Load the demo unless it is there already; a second run keeps users' changes."""
    if db.scalar(select(OrgUnit.id).where(OrgUnit.code == DISTRICT)) is not None:
        return False
    orgs.import_csv(db, ORG_CSV)
    for username, role, org_code, name in USERS:
        accounts.add_user(db, username, role, org_code, PASSWORD, name)
    money.register()
    procedures.deploy(db, None, DISTRICT, procedures.read_bundle_dir(BUNDLES / "linzi"))
    roll.import_roll(db, None, DISTRICT, SAMPLE_ROLL.read_bytes(), SAMPLE_ROLL.name)
    rng = random.Random(2018)
    villages = [u for u in USERS if u[1] == "village"]
    clerks = {"370305101": "hc_chuangkou", "370305102": "jz_chuangkou"}
    for n, decisions in enumerate(SCENARIOS):
        village_code = villages[n % len(villages)][2]
        clerk = accounts.by_username(db, clerks[village_code[:9]])
        opened = clock.now() - timedelta(days=len(decisions) * 9 + 3 + n % 5)
        case = cases.start(db, clerk, "linzi_identification", village_code,
                           application(rng, n), comment="一门受理", now=opened)
        _play(db, case.id, decisions, opened)
    timers.run_pass(db, clock.now())
    escalation.run_pass(db, clock.now())
    _crosscheck_list(db)
    return True


def _crosscheck_list(db: Session) -> None:
    """A 人社 list naming a member of a case at the district cross-check step and of an
    enrolled household: the case page shows the hit, the step is prefilled, and the review
    list (/admin/crosscheck) offers a review or an exit."""
    at_step = db.scalar(select(HumanTask.case_id).where(
        HumanTask.step == "district_crosscheck", HumanTask.completed_at.is_(None))
        .order_by(HumanTask.id).limit(1))
    enrolled = db.scalar(select(Case.id).where(Case.status == "approved")
                         .order_by(Case.id).limit(1))
    named = [m for case_id in (at_step, enrolled) if case_id is not None
             for m in db.scalars(select(CaseMember).where(CaseMember.case_id == case_id)
                                 .order_by(CaseMember.seq.desc()).limit(1))]
    if not named:
        return
    rows = "".join(f"{m.id_number},{m.name},在企业就业，月工资 3500 元,{clock.now():%Y-%m-01}\n"
                   for m in named)
    found = crosscheck.import_list(db, None, "human_resources", DISTRICT, "人社就业名单.csv",
                                   f"id_number,name,finding,as_of\n{rows}".encode())
    crosscheck.match(db, found)

"""Adopting an existing roll (存量名册): every row checked, all or nothing, and the households
then behave like any approved household (household page, reviews, payroll)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.casework import reviews
from engine.data import roll, roll_file
from engine.money import households
from engine.store import audit
from engine.store.errors import Forbidden, Invalid
from engine.store.models import AuditEvent, Benefit, Case, Household, HouseholdPayee, RollImport
from tests.factories import make_world
from tests.forms.samples import make_id_number

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["household", "village", "relation", "name", "id_number", "birth_date", "category",
          "monthly_amount", "start_date", "bank_account"]
CHINESE = ["户编号", "村代码", "与户主关系", "姓名", "身份证号", "出生日期", "类别", "月保障金",
           "起始日期", "银行账号"]
HEAD_A = make_id_number(date(1950, 1, 2), 31)
WIFE_A = make_id_number(date(1952, 3, 4), 32, male=False)
HEAD_B = make_id_number(date(1960, 5, 6), 33)
HEAD_C = make_id_number(date(1970, 7, 8), 34)


def xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_rows() -> list[list]:
    return [
        ["H1", "V11", "self", "张一", HEAD_A, "1950-01-02", "dibao", "620.50", "2024-03-01",
         "6217 0028 7001 2345"],
        ["H1", "V11", "spouse", "李一", WIFE_A, date(1952, 3, 4), None, None, None, None],
        ["H2", "V21", "户主", "王二", HEAD_B, "1960-05-06", "低保贫困户", 300, "2025-12-15",
         "6230520460001234"],
    ]


@pytest.fixture
def world(db):
    return make_world(db)


def test_a_good_roll_becomes_approved_households(world):
    db = world.db
    result = roll.import_roll(db, world.user("dist"), "D1", xlsx(good_rows()), "roll.xlsx")
    assert (result.record.households, result.record.persons) == (2, 3)
    assert [(h.code, h.rows, h.village, h.head_name, h.persons, h.monthly_amount)
            for h in result.households] == [
        ("H1", (2, 3), "甲一村", "张一", 2, Decimal("620.50")),
        ("H2", (4, 4), "乙一村", "王二", 1, Decimal("300.00"))]
    first = db.get(Household, result.households[0].household_id)
    assert (first.head_id_number, first.head_name, first.region_path) == (HEAD_A, "张一", "/D1/")
    case = db.get(Case, result.households[0].case_id)
    assert (case.status, case.household_size, case.org_path) == ("approved", 2, "/D1/T1/V11/")
    assert [m["name"] for m in case.application["members"]] == ["张一", "李一"]
    benefit = db.scalar(select(Benefit).where(Benefit.case_id == case.id))
    assert (benefit.monthly_amount, benefit.effective_from, benefit.source) == (
        Decimal("620.50"), date(2024, 3, 1), f"roll:{result.record.id}")
    payee = db.scalar(select(HouseholdPayee).where(HouseholdPayee.household_id == first.id))
    assert payee.bank_account == "6217002870012345"
    assert benefit.facts == {"category": "dibao"}
    second = db.scalar(select(Benefit).join(Case).where(
        Case.household_id == result.households[1].household_id))
    assert second.facts == {"category": "both"}
    # audited: one case.opened per household with its application's digest, and the import
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("roll.imported") == 1 and actions.count("case.opened") == 2
    assert audit.verify(db).ok
    # the household page shows it like any other, to officials of its region only
    found = households.summary(db, world.user("town1"), first.id)
    assert (found.status, found.benefit.monthly_amount) == ("active", Decimal("620.50"))
    assert [h.id for h in households.search(db, world.user("town2"), None)] == [
        result.households[1].household_id]


def test_chinese_headers_and_the_shipped_sample(world):
    db = world.db
    rows = [[*r] for r in good_rows()]
    assert roll.import_roll(db, world.user("admin"), "D1", xlsx(rows, CHINESE)).record.persons == 3


def test_every_bad_row_is_reported_and_nothing_changes(world):
    db = world.db
    rows = good_rows() + [
        # checksum wrong
        ["H3", "V12", "self", "赵三", HEAD_C[:-1] + ("0" if HEAD_C[-1] != "0" else "1"),
         "1970-07-08", "dibao", "100", "2024-01-01", "62170028700"],
        # same ID as row 2, birth date not the one in the ID number, category unknown
        ["H4", "V12", "self", "钱四", HEAD_A, "1950-01-03", "特困", "-5", "2030-01-01", "12"],
        # a village of another district, and a second head for H2
        ["H5", "X99", "self", "孙五", HEAD_C, "1970-07-08", "dibao", "100", "2024-01-01",
         "6217002870012345"],
        ["H2", "V21", "self", "王二二", make_id_number(date(1961, 1, 1), 35), "1961-01-01",
         "dibao", "100", "2024-01-01", "6217002870012345"],
        # a member row carrying the household's amount
        ["H1", "V11", "child", "张小", make_id_number(date(2010, 1, 1), 36), "2010-01-01",
         None, "100", None, None],
    ]
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "D1", xlsx(rows))
    assert bad.value.fields == {
        "rows.5.id_number": ["身份证号码校验位错误"],
        "rows.6.birth_date": ["出生日期与身份证号码中的出生日期不一致"],
        "rows.6.id_number": ["与第2行的身份证号码重复"],
        "rows.6.category": ["类别应为 低保、建档立卡贫困户、低保贫困户（或 dibao, poverty, both）"],
        "rows.6.monthly_amount": ["月保障金应大于0且不超过 100000 元"],
        "rows.6.start_date": ["起始日期不能晚于今天"],
        "rows.6.bank_account": ["银行账号应为8至32位数字"],
        "rows.8.relation": ["每户只能有一位户主（第4行已是户主）"],
        "rows.9.monthly_amount": ["月保障金只在户主行填写"],
        "rows.7.village": ["村代码 X99 不存在"],
    }
    assert str(bad.value) == "名册有 10 处错误，未导入任何数据"
    assert db.scalar(select(func.count()).select_from(Household)) == 0
    assert db.scalar(select(func.count()).select_from(RollImport)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_duplicates_against_the_roll_and_bad_files(world):
    db = world.db
    roll.import_roll(db, world.user("dist"), "D1", xlsx(good_rows()))
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "D1", xlsx(good_rows()[2:]))
    [(key, [message])] = bad.value.fields.items()
    assert key == "rows.2.id_number" and message.startswith("该身份证号码已是本地区在册家庭")
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "D1", b"not a workbook")
    assert bad.value.fields == {"file": ["文件不是有效的 Excel 工作簿（.xlsx）"]}
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "D1", xlsx([], HEADER[:-1] + ["account"]))
    assert bad.value.fields["file"][0].endswith(
        "缺少列：bank_account（银行账号）；无法识别的列：account")
    with pytest.raises(Invalid) as bad:  # a village of T2 in a T1 roll
        roll.import_roll(db, world.user("dist"), "T1", xlsx(
            [["H9", "V21", "self", "赵三", HEAD_C, "1970-07-08", "dibao", "100", "2024-01-01",
              "62170028700123"]]))
    assert bad.value.fields == {"rows.2.village": ["乙一村（V21）不是 甲镇 下辖的村（居）"]}


def test_who_may_import(world):
    db = world.db
    with pytest.raises(Forbidden):
        roll.import_roll(db, world.user("town1"), "T1", xlsx(good_rows()))
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "NOPE", xlsx(good_rows()))
    assert bad.value.fields == {"region": ["机构代码 NOPE 不存在"]}


def test_imported_households_are_reviewed_like_any_other(world):
    db = world.db
    result = roll.import_roll(db, world.user("dist"), "D1", xlsx(good_rows()))
    job = reviews.start_yearly(db, world.user("dist"), "D1")
    assert job.total == 2
    reviews.run_jobs(db)
    opened = db.scalars(select(Case).where(Case.status == "running")
                        .order_by(Case.household_id)).all()
    assert [c.household_id for c in opened] == [h.household_id for h in result.households]
    assert opened[0].application["head_id_number"] == HEAD_A


def test_the_sample_file_loads_into_the_demo_region(db):
    from engine import demo
    from engine.store.models import Household

    assert demo.load(db)
    count = db.scalar(select(func.count()).select_from(HouseholdPayee))
    assert count == 8
    assert db.scalar(select(func.count()).select_from(Household).where(
        Household.head_name == "张德福")) == 1
    assert (ROOT / "docs" / "samples" / "roll-370305.xlsx").is_file()


def test_a_baby_is_checked_against_the_import_day_not_the_system_date():
    """A roll read on a day of its own (a fixed clock) accepts a child born the day before."""
    baby = "110105203106010024"  # born 1 June 2031, check character worked by hand
    rows = [(2, ["H1", "V11", "self", "张一", HEAD_A, "1950-01-02", "dibao", "620.50",
                 "2031-06-01", ""]),
            (3, ["H1", "V11", "child", "张小", baby, "2031-06-01", None, None, None, None]),
            (4, ["H1", "V11", "child", "张错", baby, "2031-05-31", None, None, None, None])]
    problems = roll_file.Problems()
    roll_file.parse(HEADER, rows, date(2031, 6, 2), problems)
    assert "rows.3.id_number" not in problems.fields and "rows.3.birth_date" not in problems.fields
    assert problems.fields["rows.4.birth_date"] == ["出生日期与身份证号码中的出生日期不一致"]


def test_amounts_are_plain_and_within_the_ceiling_an_approval_has(world):
    """Linzi's standard from 2018 is 4,300 yuan a year. A household of one may carry at most
    twice a month's share: 4300 / 12 * 2 = 716.666..., 716.67 to the fen; "1e3" is no
    amount."""
    db = world.db
    rows = [
        ["H1", "V11", "self", "张一", HEAD_A, "1950-01-02", "dibao", "1e3", "2024-03-01",
         "6217002870012345"],
        ["H2", "V21", "self", "王二", HEAD_B, "1960-05-06", "dibao", "716.68", "2025-12-15",
         "6230520460001234"],
        ["H3", "V12", "self", "赵三", HEAD_C, "1970-07-08", "dibao", "716.67", "2025-12-15",
         "6230520460009999"],
    ]
    with pytest.raises(Invalid) as bad:
        roll.import_roll(db, world.user("dist"), "D1", xlsx(rows))
    assert bad.value.fields == {
        "rows.2.monthly_amount": ["月保障金应为金额，如 350 或 350.50"],
        "rows.3.monthly_amount": [
            "月补差金额 716.68 元超过本户上限 716.67 元（标准 4300.00 元/人·年 ÷ 12 × 1 人 × 2），"
            "请核对"],
    }
    assert db.scalar(select(func.count()).select_from(Household)) == 0


def test_a_formula_or_a_long_name_is_named_for_what_it_is(world):
    rows = good_rows()
    rows[0][3] = "=1+1"  # openpyxl writes it as a formula with no value kept
    rows[2][3] = "王" * 51
    with pytest.raises(Invalid) as bad:
        roll.import_roll(world.db, world.user("dist"), "D1", xlsx(rows))
    assert bad.value.fields == {
        "rows.2.name": ["姓名为空（单元格若是公式，请改为直接填写的文字）"],
        "rows.4.name": ["姓名最多50个字，实际 51 个字"]}

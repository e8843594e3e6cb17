"""Reading a county's existing roll (存量低保名册) from an xlsx workbook, and checking every row.

One row per member under the header of ../shared/contract.md (English or Chinese names):
`household` groups the members of one household; the household's category, monthly amount,
start date and bank account sit on its head's row (relation `self` / 户主). Nothing here
touches the database: `engine.data.roll` looks up villages and the existing roll, and writes.
Every problem is reported with its spreadsheet row number, all at once.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.store.amounts import fen
from forms.fields import MONEY_TEXT
from forms.formats import bank_account
from forms.idcard import IdNumberError, id_number_birth_date, normalize_id_number

FIELDS = ("household", "village", "relation", "name", "id_number", "birth_date", "category",
          "monthly_amount", "start_date", "bank_account")
CHINESE = ("户编号", "村代码", "与户主关系", "姓名", "身份证号", "出生日期", "类别", "月保障金",
           "起始日期", "银行账号")
LABELS = dict(zip(FIELDS, CHINESE, strict=True))
HEAD_ONLY = ("category", "monthly_amount", "start_date", "bank_account")
# The relations and categories of the shared forms (application.yaml, district_approval.yaml),
# by value or by their Chinese label.
RELATIONS = {"self": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
             "grandchild": "孙子女", "sibling": "兄弟姐妹", "other": "其他"}
CATEGORIES = {"dibao": "低保", "poverty": "建档立卡贫困户", "both": "低保贫困户"}
MAX_ROWS = 200_000
MAX_AMOUNT = Decimal("100000")


@dataclass
class Member:
    row: int
    relation: str
    name: str
    id_number: str
    birth_date: date


@dataclass
class RollHousehold:
    """One household of the file, its members in file order, the head first."""

    code: str
    village: str
    first_row: int
    members: list[Member] = field(default_factory=list)
    category: str = ""
    monthly_amount: Decimal = Decimal("0.00")
    start_date: date | None = None
    bank_account: str = ""

    @property
    def head(self) -> Member:
        return self.members[0]


class Problems:
    """Per-row messages, keyed `rows.<spreadsheet row>.<field>` (the file itself: `file`)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, row: int | None, name: str, message: str) -> None:
        key = "file" if row is None else f"rows.{row}.{name}"
        self.fields.setdefault(key, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def read_rows(content: bytes) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The first sheet's header and its non-blank rows with their spreadsheet row numbers."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValueError("文件不是有效的 Excel 工作簿（.xlsx）") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValueError("工作簿的第一张工作表是空的")
        found: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(found) >= MAX_ROWS:
                raise ValueError(f"名册超过 {MAX_ROWS} 行，请分批导入")
            found.append((number, list(values)))
        return [str(h).strip() if h is not None else "" for h in header], found
    finally:
        book.close()


def columns(header: list[str]) -> dict[str, int]:
    """Field name → column index; ValueError naming what is missing or unknown."""
    names = {**{f: f for f in FIELDS}, **dict(zip(CHINESE, FIELDS, strict=True))}
    found: dict[str, int] = {}
    unknown = []
    for index, title in enumerate(header):
        if not title:
            continue
        name = names.get(title) or names.get(title.lower())
        if name is None:
            unknown.append(title)
        elif name in found:
            raise ValueError(f"表头重复：{title}")
        else:
            found[name] = index
    missing = [f"{f}（{LABELS[f]}）" for f in FIELDS if f not in found]
    if missing or unknown:
        parts = ([f"缺少列：{'、'.join(missing)}"] if missing else []) + (
            [f"无法识别的列：{'、'.join(unknown)}"] if unknown else [])
        raise ValueError("表头应为 " + ",".join(FIELDS) + "（或中文 " + ",".join(CHINESE)
                         + "）；" + "；".join(parts))
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice(value: Any, options: dict[str, str]) -> str | None:
    text = _text(value)
    if text.lower() in options:
        return text.lower()
    return next((k for k, label in options.items() if label == text), None)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("日期应写作 YYYY-MM-DD") from None


def _id_number(value: Any, today: date) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise IdNumberError("身份证号码应以文本格式填写（数字格式会丢失末位）")
    return normalize_id_number(_text(value), today)


def _account(value: Any) -> str:
    if isinstance(value, float):
        raise ValueError("银行账号应以文本格式填写（数字格式会丢失位数）")
    return bank_account(_text(value))  # the rule the forms' `format: bank_account` applies


def _amount(value: Any) -> Decimal:
    text = _text(value)
    if isinstance(value, str) and not MONEY_TEXT.fullmatch(text):  # as a form: never 1e3
        raise ValueError("月保障金应为金额，如 350 或 350.50")
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError("月保障金应为金额，如 350 或 350.50") from None
    if not number.is_finite() or number <= 0 or number > MAX_AMOUNT:
        raise ValueError(f"月保障金应大于0且不超过 {MAX_AMOUNT} 元")
    if number != number.quantize(Decimal("0.01")):
        raise ValueError("月保障金最多保留两位小数（到分）")
    return fen(number)


def _member(row: int, cells: dict[str, Any], today: date,
            problems: Problems) -> tuple[Member | None, str]:
    """A member row's own fields, each problem noted (None when any is bad), and its valid
    ID number ("" if not)."""
    bad = False
    relation = _choice(cells["relation"], RELATIONS)
    if relation is None:
        problems.add(row, "relation", "与户主关系应为 " + "、".join(RELATIONS.values())
                     + "（或 " + ", ".join(RELATIONS) + "）")
        bad = True
    name = _text(cells["name"])
    if not name:  # a formula cell reads empty: the file keeps no value for it
        problems.add(row, "name", "姓名为空（单元格若是公式，请改为直接填写的文字）")
        bad = True
    elif len(name) > 50:
        problems.add(row, "name", f"姓名最多50个字，实际 {len(name)} 个字")
        bad = True
    id_number = ""
    try:
        id_number = _id_number(cells["id_number"], today)
    except IdNumberError as exc:
        problems.add(row, "id_number", exc.message)
        bad = True
    born = None
    try:
        born = _date(cells["birth_date"])
    except ValueError as exc:
        problems.add(row, "birth_date", f"出生日期：{exc}")
        bad = True
    if born and id_number and id_number_birth_date(id_number, today) != born:
        problems.add(row, "birth_date", "出生日期与身份证号码中的出生日期不一致")
        bad = True
    return (None if bad else Member(row, relation or "", name, id_number, born or today),
            id_number)


def _household_fields(house: RollHousehold, row: int, cells: dict[str, Any], today: date,
                      problems: Problems) -> None:
    """The head's row carries the household's category, amount, start date and account."""
    category = _choice(cells["category"], CATEGORIES)
    if category is None:
        problems.add(row, "category", "类别应为 " + "、".join(CATEGORIES.values())
                     + "（或 " + ", ".join(CATEGORIES) + "）")
    else:
        house.category = category
    try:
        house.monthly_amount = _amount(cells["monthly_amount"])
    except ValueError as exc:
        problems.add(row, "monthly_amount", str(exc))
    try:
        house.start_date = _date(cells["start_date"])
        if house.start_date > today:
            problems.add(row, "start_date", "起始日期不能晚于今天")
    except ValueError as exc:
        problems.add(row, "start_date", f"起始日期：{exc}")
    try:
        house.bank_account = _account(cells["bank_account"])
    except ValueError as exc:
        problems.add(row, "bank_account", str(exc))


def parse(header: list[str], rows: list[tuple[int, list[Any]]], today: date,
          problems: Problems) -> list[RollHousehold]:
    """Households of the file, in order of first appearance; every row's problems noted."""
    try:
        index = columns(header)
    except ValueError as exc:
        problems.add(None, "file", str(exc))
        return []
    if not rows:
        problems.add(None, "file", "名册中没有数据行")
    households: dict[str, RollHousehold] = {}
    seen: dict[str, int] = {}  # ID number → first row
    heads: dict[str, int] = {}  # household code → its head's row
    for row, values in rows:
        cells = {f: values[i] if i < len(values) else None for f, i in index.items()}
        code = _text(cells["household"])
        village = _text(cells["village"])
        if not code:
            problems.add(row, "household", "户编号必填")
            continue
        house = households.get(code)
        if house is None:
            house = households[code] = RollHousehold(code, village, row)
        elif village != house.village:
            problems.add(row, "village", f"同一户的村代码应一致（第{house.first_row}行为 "
                                         f"{house.village or '空'}）")
        if not village and house.first_row == row:
            problems.add(row, "village", "村代码必填")
        member, id_number = _member(row, cells, today, problems)
        if id_number in seen:
            problems.add(row, "id_number", f"与第{seen[id_number]}行的身份证号码重复")
        elif id_number:
            seen[id_number] = row
        is_head = _choice(cells["relation"], RELATIONS) == "self"
        if is_head and code in heads:
            problems.add(row, "relation", f"每户只能有一位户主（第{heads[code]}行已是户主）")
        elif is_head:
            heads[code] = row
            _household_fields(house, row, cells, today, problems)
        else:
            for name in HEAD_ONLY:
                if _text(cells[name]):
                    problems.add(row, name, f"{LABELS[name]}只在户主行填写")
        if member is not None:
            house.members.append(member)
    for code, house in households.items():
        if code not in heads:
            problems.add(house.first_row, "relation",
                         f"户 {code} 没有户主（与户主关系为“户主”的行）")
    for house in households.values():
        house.members.sort(key=lambda m: (m.relation != "self", m.row))
    return list(households.values())


def problem_rows(fields: dict[str, list[str]]) -> list[tuple[int | None, str, str]]:
    """A refusal's problems as (spreadsheet row or None for the file, column, message), by
    row: what the CLI prints and the import page lists."""
    found: list[tuple[int | None, str, str]] = []
    for key, messages in fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            row, column = int(parts[1]), LABELS.get(parts[2], parts[2])
        else:
            row, column = None, {"region": "地区", "procedure": "流程"}.get(key, "文件")
        found.extend((row, column, m) for m in messages)
    return sorted(found, key=lambda p: (p[0] or 0, FIELDS.index(_field(p[1]))
                                        if _field(p[1]) in FIELDS else 0))


def _field(label: str) -> str:
    return next((f for f, chinese in LABELS.items() if chinese == label), label)

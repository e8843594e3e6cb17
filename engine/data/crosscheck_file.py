"""Reading a bureau's list (CSV or xlsx, header `id_number,name,finding[,as_of]`): every row
checked before anything is written, so that a bad file changes nothing and the official sees
every bad row at once, in Chinese."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from engine.store.errors import Invalid
from forms.idcard import IdNumberError, normalize_id_number

MAX_ROWS = 300_000
MAX_REPORTED = 200  # bad rows listed one by one; the rest are counted
HEADERS = {
    "id_number": ("id_number", "身份证号", "身份证号码", "公民身份号码"),
    "name": ("name", "姓名"),
    "finding": ("finding", "比对结果", "比对情况", "情况"),
    "as_of": ("as_of", "名单日期", "截至日期", "日期"),
}
REQUIRED = ("id_number", "name", "finding")


@dataclass(frozen=True)
class Row:
    line: int
    id_number: str
    name: str
    finding: str
    as_of: date


def _cells_xlsx(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Invalid({"file": ["无法读取该 Excel 文件，请确认是 .xlsx 格式"]},
                      "文件无法读取") from exc
    sheet = book.worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _cells_csv(content: bytes) -> list[list[object]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes nearly anything; kept for clarity
        raise Invalid({"file": ["文件编码无法识别，请另存为 UTF-8 的 CSV"]}, "文件无法读取")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


def _columns(header: list[object]) -> dict[str, int]:
    names = [_text(h).lower() for h in header]
    found: dict[str, int] = {}
    for key, spellings in HEADERS.items():
        for i, name in enumerate(names):
            if name in spellings:
                found[key] = i
                break
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        raise Invalid({"file": [
            "表头应为 id_number,name,finding[,as_of]（或 身份证号,姓名,比对结果[,名单日期]），"
            f"缺少：{'、'.join(missing)}"]}, "名单表头不正确")
    return found


def _as_of(value: object, today: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return today
    day = date.fromisoformat(text.replace("/", "-")[:10])
    if day > today:
        raise ValueError("future")
    return day


def read(filename: str, content: bytes, today: date) -> list[Row]:
    """Every row of the list, or `Invalid` with one entry per bad row (`rows.<line>`)."""
    if not content:
        raise Invalid({"file": ["文件为空"]}, "文件为空")
    is_xlsx = filename.lower().endswith(".xlsx") or content[:2] == b"PK"
    cells = _cells_xlsx(content) if is_xlsx else _cells_csv(content)
    while cells and not any(_text(c) for c in cells[-1]):
        cells.pop()
    if not cells:
        raise Invalid({"file": ["文件为空"]}, "文件为空")
    columns = _columns(cells[0])
    if len(cells) - 1 > MAX_ROWS:
        raise Invalid({"file": [f"名单超过 {MAX_ROWS} 行，请分批导入"]}, "名单过大")
    rows: list[Row] = []
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(cells[1:], start=2):
        if not any(_text(c) for c in raw):
            continue
        cell = {k: (raw[i] if i < len(raw) else None) for k, i in columns.items()}
        problems = []
        if any(_text(c) for c in raw[len(cells[0]):]):  # an unquoted comma splits a value
            problems.append(f"值的个数多于表头的 {len(cells[0])} 列（含逗号的内容请加英文双引号）")
        number = _text(cell["id_number"]).upper()
        try:
            number = normalize_id_number(number, today)
        except IdNumberError as exc:
            problems.append(f"“{number}”：{exc.message}" if number
                            else "身份证号码为空")
        name, finding = _text(cell["name"])[:100], _text(cell["finding"])
        if not name:
            problems.append("姓名为空")
        if not finding:
            problems.append("比对结果（finding）为空")
        elif len(finding) > 500:
            problems.append("比对结果超过 500 字")
        try:
            as_of = _as_of(cell.get("as_of"), today)
        except ValueError:
            problems.append(f"名单日期“{_text(cell.get('as_of'))}”应为不晚于今天的 YYYY-MM-DD")
            as_of = today
        if not problems:
            first = seen.setdefault((number, finding), line)
            if first != line:
                problems.append(f"与第 {first} 行重复（同一身份证号码、同一比对结果）")
        if problems:
            errors[f"rows.{line}"] = problems
        else:
            rows.append(Row(line, number, name, finding, as_of))
    if errors:
        shown = dict(list(errors.items())[:MAX_REPORTED])
        if len(errors) > MAX_REPORTED:
            shown["file"] = [f"另有 {len(errors) - MAX_REPORTED} 行有误未逐一列出"]
        raise Invalid(shown, f"名单有 {len(errors)} 行有误，未导入任何数据")
    if not rows:
        raise Invalid({"file": ["名单没有数据行"]}, "名单没有数据行")
    return rows

"""The case ledger (台账) as an .xlsx workbook, for whatever level the official works at.

A village gets its own households, a township its villages', a district all of them: the
engine's scope decides, this module only lays out the sheet.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from engine.data import ledgers
from engine.store.models import CASE_STATUSES
from engine.store.models import Case as CaseModel
from engine.time import calendar, clock
from engine.workflow import procedures

from .. import xlsx
from ..auth import actor
from ..extensions import db
from ..i18n import local_date, local_time
from . import pages
from .labels import category_label, status_label


def _label(version, form_key: str, field: str, value: Any) -> Any:
    try:
        return procedures.form_of(version, form_key).choice_label(field, value)
    except KeyError:
        return value


def _columns() -> list[tuple[str, int]]:
    return [(_("案件编号"), 10), (_("户主姓名"), 12), (_("户主身份证号码"), 22),
            (_("联系电话"), 15), (_("家庭人口"), 9), (_("镇（街道）"), 12), (_("村（居）"), 12),
            (_("主要致贫（困）原因"), 16), (_("状态"), 10), (_("受理日期"), 12),
            (_("办结日期"), 12), (_("认定类别"), 14), (_("月补差金额（元）"), 16)]


def _category(row: ledgers.LedgerRow) -> str:
    """The category as the deciding step's form labels it, else the shared label of the one
    kept with the benefit (a bundle whose tables decide it)."""
    version = row.case.procedure
    if row.category:
        return str(_label(version, row.category[0], ledgers.CATEGORY, row.category[1]))
    code = (row.benefit.facts or {}).get(ledgers.CATEGORY) if row.benefit else None
    return category_label(str(code)) if code not in (None, "") else ""


def _row(row: ledgers.LedgerRow) -> list[Any]:
    case: CaseModel = row.case
    app = case.application or {}
    version = case.procedure
    cause = app.get("hardship_cause")
    return [
        case.id, case.applicant_name, app.get("head_id_number", ""), app.get("head_phone", ""),
        case.household_size, row.township, case.village.name,
        _label(version, version.start_form, "hardship_cause", cause) if cause else "",
        status_label(case.status), local_date(case.opened_at), local_date(case.closed_at),
        _category(row), row.amount,
    ]


def _fill(sheet, title: str, byline: str, rows: list[ledgers.LedgerRow]) -> None:
    """One register: a title, who exported it when, a header row, a row per household."""
    columns = _columns()
    sheet.append([title])
    sheet.append([byline])
    sheet.append([name for name, _width in columns])
    sheet["A1"].font = Font(size=14, bold=True)
    header = PatternFill("solid", fgColor="EEF1F4")
    for index, (_name, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index)
        cell.font = Font(bold=True)
        cell.fill = header
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in rows:
        sheet.append(_row(row))
        sheet.cell(row=sheet.max_row, column=3).number_format = "@"  # ID numbers are text
        sheet.cell(row=sheet.max_row, column=13).number_format = "#,##0.00"
    sheet.freeze_panes = "C4"
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{3 + len(rows)}"


@pages.get("/cases/ledger.xlsx")
def ledger():
    """Every visible case matching the case list's filters: all on the first sheet, then a
    sheet per village (township) or per township (district)."""
    me = actor()
    status = request.args.get("status") or None
    found = list(ledgers.rows(db.session, me,
                              status=status if status in CASE_STATUSES else None,
                              village=request.args.get("village") or None,
                              q=(request.args.get("q") or "").strip() or None))
    now = clock.now()
    byline = _("导出时间：%(at)s　导出人：%(who)s", at=local_time(now),
               who=me.display_name or me.username)
    book = Workbook()
    sheet = book.active
    sheet.title = _("台账")
    _fill(sheet, _("%(org)s 困难家庭认定台账", org=me.org.name), byline, found)
    for group, rows in sorted(ledgers.groups(me, found).items()):
        _fill(book.create_sheet(group[:31]), _("%(org)s 困难家庭认定台账", org=group), byline, rows)
    day = calendar.local_date(now)
    return xlsx.response(book, f"{_('台账')}-{me.org.name}-{day:%Y%m%d}.xlsx")

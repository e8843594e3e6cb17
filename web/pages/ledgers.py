"""The case ledger (台账) as an .xlsx workbook, for whatever level the official works at.

A village gets its own households, a township its villages', a district all of them: the
engine's scope decides, this module only lays out the sheet.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from engine import clock, ledgers, procedures
from engine.models import CASE_STATUSES
from engine.models import Case as CaseModel

from ..auth import actor
from ..extensions import db
from ..i18n import local_date, local_time
from . import pages
from .labels import status_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Fields a step may record that a ledger lists, by the forms' naming convention.
OUTCOME_FIELDS = ("category", "amount")


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


def _row(row: ledgers.LedgerRow) -> list[Any]:
    case: CaseModel = row.case
    app = case.application or {}
    version = case.procedure
    outcome: dict[str, Any] = {}
    for form_key, data in row.steps.values():
        for name in OUTCOME_FIELDS:
            if data.get(name) not in (None, ""):
                outcome[name] = (form_key, data[name])
    category = outcome.get("category")
    amount = outcome.get("amount")
    cause = app.get("hardship_cause")
    return [
        case.id, case.applicant_name, app.get("head_id_number", ""), app.get("head_phone", ""),
        case.household_size, row.township, case.village.name,
        _label(version, version.start_form, "hardship_cause", cause) if cause else "",
        status_label(case.status), local_date(case.opened_at), local_date(case.closed_at),
        _label(version, category[0], "category", category[1]) if category else "",
        amount[1] if amount and case.status == "approved" else None,
    ]


@pages.get("/cases/ledger.xlsx")
def ledger():
    """Every visible case matching the case list's filters, one row each."""
    me = actor()
    status = request.args.get("status") or None
    found = ledgers.rows(db.session, me, status=status if status in CASE_STATUSES else None,
                         village=request.args.get("village") or None,
                         q=(request.args.get("q") or "").strip() or None)
    book = Workbook()
    sheet = book.active
    sheet.title = _("台账")
    columns = _columns()
    now = clock.now()
    sheet.append([_("%(org)s 困难家庭认定台账", org=me.org.name)])
    sheet.append([_("导出时间：%(at)s　导出人：%(who)s", at=local_time(now),
                    who=me.display_name or me.username)])
    sheet.append([name for name, _width in columns])
    sheet["A1"].font = Font(size=14, bold=True)
    header = PatternFill("solid", fgColor="EEF1F4")
    for index, (_name, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index)
        cell.font = Font(bold=True)
        cell.fill = header
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    count = 0
    for row in found:
        sheet.append(_row(row))
        count += 1
        id_cell = sheet.cell(row=sheet.max_row, column=3)
        id_cell.number_format = "@"  # an 18-digit ID number is text, not a float
        sheet.cell(row=sheet.max_row, column=13).number_format = "#,##0.00"
    sheet.freeze_panes = "C4"
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{3 + count}"
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"{_('台账')}-{me.org.name}-{datetime.now().strftime('%Y%m%d')}.xlsx"
    return Response(buffer.getvalue(), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=ledger.xlsx; filename*=UTF-8''{quote(name)}"
    })

"""户有表: one household's table as an .xlsx — head, award, members, incomes, assets and each
step taken, in Chinese labels and real numbers (an income is a number cell, not "3000.0").
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from engine.casework import cases
from engine.time import calendar, clock
from engine.workflow import procedures
from forms.form import Form
from forms.model import FieldDef

from .. import xlsx
from ..auth import actor
from ..extensions import db
from ..i18n import local_time
from . import pages
from .cases import case_context
from .labels import status_label

NUMERIC = ("money", "number", "integer")
MONEY_FORMAT = "#,##0.00"


def cell_value(form: Form, path: str, fdef: FieldDef, value: Any) -> Any:
    """What a cell holds: a number for numeric fields, an option's label for a choice, 是/否
    for a yes/no, the text otherwise; blank for nothing."""
    if value in (None, ""):
        return ""
    if fdef.type in NUMERIC and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return int(number) if fdef.type == "integer" else number
    return str(form.choice_label(path, value))


def _bold_row(sheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _append(sheet, values: list[Any], fdefs: list[FieldDef | None]) -> None:
    """A row, money cells shown to the fen."""
    sheet.append(values)
    for cell, fdef in zip(sheet[sheet.max_row], fdefs, strict=False):
        if fdef is not None and fdef.type == "money" and isinstance(cell.value, Decimal):
            cell.number_format = MONEY_FORMAT


def _award(sheet, context: dict[str, Any]) -> None:
    """Amount, category and standard, as the case page's header shows them."""
    award = context["case_detail"].standing.award
    amount_label = _("测算月补差金额（元）") if award.proposed else _("核定月补差金额（元）")
    standard = award.standard
    standard_label = _("保障标准（元）") if standard is None else \
        _("保障标准（元/人/月）") if standard.period == "month" else _("保障标准（元/人/年）")
    sheet.append([amount_label, award.amount if award.amount is not None else "",
                  _("认定类别"), context["category_name"],
                  standard_label, standard.amount if standard else ""])
    for column in (2, 6):
        sheet.cell(row=sheet.max_row, column=column).number_format = MONEY_FORMAT


def _application(sheet, form: Form, app: dict[str, Any]) -> None:
    for fdef in form.fields:
        value = app.get(fdef.name)
        if fdef.type == "rows" or value in (None, ""):
            continue
        _append(sheet, [fdef.label, cell_value(form, fdef.name, fdef, value)], [None, fdef])
    for fdef in form.fields:
        rows = app.get(fdef.name)
        if fdef.type != "rows" or not rows:
            continue
        sheet.append([])
        _bold_row(sheet, [fdef.label])
        sheet.append([sub.label for sub in fdef.fields])
        for item in rows:
            _append(sheet, [cell_value(form, f"{fdef.name}.{sub.name}", sub, item.get(sub.name))
                            for sub in fdef.fields], list(fdef.fields))


def _steps(sheet, context: dict[str, Any]) -> None:
    """Each step done: its name, when, the outcome as its form names it, and who."""
    detail, outcomes = context["case_detail"], context["outcomes"]
    names = context["names"]
    sheet.append([])
    _bold_row(sheet, [_("办理过程")])
    sheet.append([_("步骤"), _("办结时间"), _("结论"), _("办理人")])
    for task in detail.done_tasks:
        who = names.get(task.completed_by_id, "") if task.completed_by_id else ""
        sheet.append([task.name, local_time(task.completed_at),
                      outcomes.get(task.id) or (task.outcome or ""), who])


@pages.get("/cases/<int:case_id>/household.xlsx")
def household_sheet(case_id: int):
    """户有表 of one case's household; the file name carries the local date, as the sheet."""
    now = clock.now()
    detail = cases.detail(db.session, actor(), case_id, now)
    context = case_context(detail)
    case = detail.case
    book = Workbook()
    sheet = book.active
    sheet.title = _("户表")
    sheet.append([_("%(name)s户 困难家庭户表", name=case.applicant_name)])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append([_("案件编号"), case.id, _("村（居）"), detail.village.name,
                  _("状态"), status_label(case.status), _("导出时间"), local_time(now)])
    _award(sheet, context)
    _application(sheet, procedures.form_of(detail.version, detail.version.start_form),
                 case.application or {})
    _steps(sheet, context)
    for column in "ABCDEFGH":
        sheet.column_dimensions[column].width = 18
    day = calendar.local_date(now)
    return xlsx.response(book, f"{_('户表')}-{case.applicant_name}-{case.id}-{day:%Y%m%d}.xlsx")

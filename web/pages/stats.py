"""The monthly statistics page (统计月报) with its charts, and the same figures as .xlsx.

Charts are laid out here and drawn by the template as inline SVG: no script, no CDN, and the
page prints as it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from engine.money import monthly, programs, stats

from .. import xlsx
from ..auth import actor
from ..extensions import db
from .admin import admin
from .labels import category_label

AREA = {stats.ALL: _l("全区（合计）"), "town": _l("城镇"), "village": _l("农村")}


@dataclass(frozen=True)
class Bar:
    label: str
    value: Any
    shown: str  # the value as printed beside the bar
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, scaled to the largest value."""

    width: int
    height: int
    left: int  # room for the labels
    bar_h: int
    bars: list[Bar]


def bar_chart(rows: list[tuple[str, Any, str]], width: int = 640, left: int = 180,
              bar_h: int = 22) -> BarChart:
    peak = max([float(v or 0) for _label, v, _shown in rows] + [0.0])
    room = width - left - 80
    bars = [Bar(label, value, shown, 8 + i * (bar_h + 8),
                room * float(value or 0) / peak if peak else 0.0)
            for i, (label, value, shown) in enumerate(rows)]
    return BarChart(width, 16 + len(rows) * (bar_h + 8), left, bar_h, bars)


def _report() -> monthly.Monthly:
    return monthly.report(db.session, actor(), request.args.get("region") or None,
                          request.args.get("month") or None)


def _share(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@admin.get("/admin/stats")
def stats_page():
    """The region's month: the roll by category, its movement, the top-up level beside the
    bundle's targets, and the work by step."""
    found = _report()
    categories = bar_chart([(category_label(g.key), g.households, str(g.households))
                            for g in found.by_category])
    opened = bar_chart([(s.name, s.open, str(s.open)) for s in found.steps])
    took = bar_chart([(s.name, s.avg_days, "—" if s.avg_days is None else f"{s.avg_days}")
                      for s in found.steps])
    return render_template("admin/stats.html", report=found, share=_share,
                           areas={k: str(v) for k, v in AREA.items()}, categories=categories,
                           opened=opened, took=took)


def _sheet(book: Workbook, title: str, head: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for i, _head in enumerate(head):
        sheet.column_dimensions[chr(ord("A") + i)].width = 18 if i else 26


def workbook(found: monthly.Monthly) -> Workbook:
    """Four sheets: the month in figures, by category, by area (补差水平), by step."""
    book = Workbook()
    book.remove(book.active)
    whole = found.whole
    _sheet(book, _("月报"), [_("项目"), _("数值")], [
        [_("地区"), f"{found.region.name}（{found.region.code}）"], [_("月份"), found.month],
        [_("统计日"), found.on.isoformat()],
        [_("在保户数"), whole.households], [_("在保人数"), whole.persons],
        [_("本月新增户数"), found.new.households], [_("本月新增人数"), found.new.persons],
        [_("本月退出户数"), found.exited.households], [_("本月退出人数"), found.exited.persons],
        [_("渐退期中户数"), found.gradual_exit],
        [_("月补差合计（元）"), whole.amount_total], [_("人均月补差（元）"), whole.avg_per_person],
        [_("保障标准（元/人·月）"), whole.standard_monthly], [_("补差水平"), whole.ratio],
        [_("逾期占比"), found.overdue_share]])
    _sheet(book, _("分类"), [_("类别"), _("户数"), _("人数"), _("月补差合计（元）")],
           [[category_label(g.key), g.households, g.persons, g.amount_total]
            for g in found.by_category])
    _sheet(book, _("补差水平"), [_("范围"), _("户数"), _("人数"), _("月补差合计（元）"),
                             _("人均月补差（元）"), _("补差水平"), _("目标")],
           [[str(AREA.get(a.area, a.area)), a.households, a.persons, a.amount_total,
             a.avg_per_person, a.ratio, a.target] for a in found.levels])
    _sheet(book, _("办理步骤"), [_("步骤"), _("月末在办"), _("本月办结"), _("平均用时（天）"),
                             _("逾期")],
           [[s.name, s.open, s.completed, s.avg_days, s.overdue] for s in found.steps])
    for sheet in book.worksheets:  # money and shares as numbers, not text
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.value = float(cell.value)
    return book


@admin.get("/admin/stats.xlsx")
def stats_xlsx():
    found = _report()
    return xlsx.response(workbook(found), _("统计月报-%(region)s-%(month)s.xlsx",
                                            region=found.region.name, month=found.month))


@admin.get("/admin/programs.xlsx")
def programs_xlsx():
    """The district's list per support program (民生保障项目名单): one sheet per program, the
    members of enrolled households who qualify, ID numbers masked."""
    region, found = programs.district_list(db.session, actor(),
                                           request.args.get("region") or None)
    book = Workbook()
    book.remove(book.active)
    head = [_("村（居）"), _("户主姓名"), _("家庭成员"), _("身份证号码"), _("匹配依据"),
            _("案件编号")]
    for program, rows in found.items():
        title = re.sub(r"[\\/?*\[\]:]", "_", program)[:31]  # what a sheet name may hold
        _sheet(book, title, head, [[r.village, r.head_name, r.member_name,
                                           r.id_number_masked, r.basis, r.case_id]
                                          for r in rows])
    if not found:
        _sheet(book, _("名单"), head, [])
    return xlsx.response(book, _("民生保障项目名单-%(region)s.xlsx", region=region.name))

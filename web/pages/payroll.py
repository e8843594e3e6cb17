"""The payroll page (发放花名册) with its xlsx download and the district's confirmation, and the
roll import page (存量名册导入) with its per-row report: thin routes over engine/data."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook

from engine.data import payroll, roll, roll_file
from engine.store.errors import Invalid
from engine.time import calendar, clock

from .. import xlsx
from ..auth import actor
from ..errors import status_for
from ..extensions import db
from . import pages

CHANGE = {"new": _l("新增"), "adjusted": _l("调整"), "gradual_exit": _l("渐退"),
          "stopped": _l("停发"), None: ""}
MAX_SHOWN = 1000  # lines on the page; the download has them all
MAX_UPLOAD = 20 * 1024 * 1024


@pages.app_context_processor
def payroll_navigation() -> dict:
    if not current_user.is_authenticated:
        return {}
    role = current_user.user.role
    return {"sees_payroll": role in payroll.VIEWER_ROLES,
            "imports_roll": role in roll.IMPORTER_ROLES}


def _query() -> tuple[str, str]:
    me = actor()
    region = (request.values.get("region") or "").strip()
    if not region:
        region = me.org.code if me.org.level in payroll.LEVELS else ""
    month = (request.values.get("month") or "").strip() or \
        f"{calendar.local_date(clock.now()):%Y-%m}"
    return region, month


@pages.get("/payroll")
def payroll_page():
    region, month = _query()
    found = payroll.sheet(db.session, actor(), region, month)
    me = actor()
    return render_template("pages/payroll.html", sheet=found, change_labels=CHANGE,
                           shown=found.lines[:MAX_SHOWN], max_shown=MAX_SHOWN,
                           changes=payroll.CHANGES,
                           may_confirm=(me.role in payroll.CONFIRMER_ROLES
                                        and found.region.level == "district"
                                        and not found.frozen))


def workbook(found: payroll.Sheet) -> Workbook:
    """A plain layout a bank can import: one header row, one row per household paid, amounts
    as numbers; village totals and stopped households on their own sheets. Written in
    write-only mode: a district's 100,000 lines stay quick."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("发放花名册"))
    for column, width in zip("ABCDEFGH", (8, 16, 14, 12, 22, 24, 12, 8), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([_("序号"), _("村（居）代码"), _("村（居）"), _("户主姓名"), _("身份证号码"),
                  _("银行账号"), _("金额（元）"), _("变动")])
    labels = {change: str(label) for change, label in CHANGE.items()}
    for n, line in enumerate(found.paid, start=1):
        sheet.append(xlsx.streamed_row(sheet, [
            n, line.village_code, line.village_name, line.name, line.id_number_masked,
            line.account, line.amount, labels[line.change]]))
    totals = book.create_sheet(_("村汇总"))
    totals.append([_("村（居）代码"), _("村（居）"), _("发放户数"), _("金额（元）")])
    for village in found.villages:
        totals.append(xlsx.streamed_row(totals, [village.code, village.name, village.households,
                                                 village.amount]))
    totals.append([_("合计"), "", len(found.paid), found.total])
    stopped = book.create_sheet(_("停发"))
    stopped.append([_("村（居）代码"), _("村（居）"), _("户主姓名"), _("身份证号码"),
                    _("银行账号"), _("上月金额（元）")])
    for line in found.lines:
        if line.change == "stopped":
            stopped.append(xlsx.streamed_row(stopped, [
                line.village_code, line.village_name, line.name, line.id_number_masked,
                line.account, line.previous_amount]))
    return book


@pages.get("/payroll/download")
def payroll_download():
    region, month = _query()
    found = payroll.sheet(db.session, actor(), region, month)
    state = _("已确认") if found.frozen else _("未确认")
    return xlsx.response(workbook(found),
                         f"{found.region.name}{found.month}发放花名册（{state}）.xlsx")


@pages.post("/payroll/confirm")
def payroll_confirm():
    region, month = _query()
    confirmed = payroll.confirm(db.session, actor(), region, month)
    flash(_("已确认 %(month)s 发放花名册：%(n)s 户，合计 %(total)s 元",
            month=month, n=confirmed.households, total=confirmed.total), "success")
    return redirect(url_for("pages.payroll_page", region=region, month=month))


# ---------------------------------------------------------------- roll import


def _import_page(region: str = "", problems=None, result=None, message: str = "",
                 status: int = 200):
    me = actor()
    if me.role not in roll.IMPORTER_ROLES:
        from engine.store.errors import Forbidden

        raise Forbidden(_("只有管理员或区级人员可以导入存量名册"))
    page = render_template("pages/roll_import.html", region=region or me.org.code,
                           problems=problems or [], result=result, message=message,
                           fields=roll_file.FIELDS, chinese=roll_file.CHINESE)
    return page, status


@pages.get("/households/import")
def roll_import_page():
    return _import_page()


@pages.post("/households/import")
def roll_import_upload():
    region = (request.form.get("region") or "").strip()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(region, [(None, _("文件"), _("请选择要导入的 xlsx 文件"))],
                            message=_("未导入任何数据"), status=status_for(Invalid))
    content = upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        return _import_page(region, [(None, _("文件"), _("文件超过 20 MB，请分批导入"))],
                            message=_("未导入任何数据"), status=status_for(Invalid))
    try:
        result = roll.import_roll(db.session, actor(), region, content, upload.filename or "")
    except Invalid as err:
        return _import_page(region, roll_file.problem_rows(err.fields), message=str(err),
                            status=status_for(err))
    return _import_page(region, result=result)

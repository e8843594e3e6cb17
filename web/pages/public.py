"""Public notices (公示) for anyone, no login: the list a village posts, and the objection form.

Only what a notice may show (name, household size, proposed amount, the notice and its
period) reaches the templates: never ID numbers, phones, addresses or members' incomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from engine.casework import documents, notices
from engine.money import monthly
from engine.people import orgs
from engine.store import amounts
from engine.store.errors import DomainError, Invalid, NotFound, TooManyRequests
from engine.store.models import Notice

from ..errors import http_status, status_for
from ..extensions import db
from ..i18n import LOCAL_TZ

public = Blueprint("public", __name__, url_prefix="/public")


@dataclass(frozen=True)
class PublicNotice:
    """What the public may see of a notice, and nothing else."""

    id: int
    name: str
    household_size: int
    proposed_amount: float | None
    notice: str
    org_code: str
    org_name: str
    starts_at: datetime | None
    ends_at: datetime | None
    open: bool


def _shown(n: Notice) -> PublicNotice:
    return PublicNotice(n.id, n.case.applicant_name, n.case.household_size, n.proposed_amount,
                        n.name, n.org.code, n.org.name, n.starts_at, n.ends_at,
                        n.closed_at is None)


@public.app_template_filter("cn_date")
def cn_date(value: datetime | date | None) -> str:
    """A date as notices print it, in Beijing time: 2026年11月24日."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return _("%(y)s年%(m)s月%(d)s日", y=value.year, m=value.month, d=value.day)


@public.app_template_filter("money")
def money_text(value: Any) -> str:
    """An amount as pages show it: to the fen by the one rule (amounts.fen), grouped."""
    return "—" if value is None else f"{amounts.fen(value):,.2f}"


@public.app_template_filter("yuan")
def yuan(value: Any) -> str:
    return "—" if value is None else _("%(amount)s 元", amount=money_text(value))


@public.get("/<org_code>")
def notice_list(org_code: str):
    org = orgs.by_code(db.session, org_code)
    found = [_shown(n) for n in notices.public_list(db.session, org_code)]
    return render_template("public/list.html", notices=found, org_code=org.code,
                           org_name=org.name, stats_code=monthly.public_home(db.session, org))


@public.get("/<org_code>/poster")
def poster(org_code: str):
    """公示 posters to print and put up: one A4 sheet per village, notice and period."""
    from .documents import print_page

    org = orgs.by_code(db.session, org_code)
    sheets = documents.posters(db.session, org.code)
    for sheet in sheets:
        sheet["objection_url"] = url_for("public.notice_list", org_code=sheet["village_code"],
                                         _external=True)
    return print_page("notice_poster", sheets, _("%(org)s 公示", org=org.name),
                      url_for("public.notice_list", org_code=org.code))


@public.get("/<org_code>/stats")
def district_stats(org_code: str):
    """信息公开: a district's month in counts and amounts, never a household."""
    month = request.args.get("month") or None
    try:
        shown = monthly.public(db.session, org_code, month)
    except Invalid as err:
        messages = "；".join(m for ms in err.fields.values() for m in ms)
        return _public_error(status_for(err), messages)
    return render_template("public/stats.html", s=shown)


def _form(notice: PublicNotice, values: dict[str, str] | None = None,
          errors: dict[str, list[str]] | None = None, message: str | None = None,
          status: int = 200):
    page = render_template("public/object.html", notice=notice, values=values or {},
                           errors=errors or {}, message=message)
    return page, status


@public.get("/notices/<int:notice_id>/object")
def objection_form(notice_id: int):
    return _form(_shown(notices.get(db.session, notice_id)))


@public.post("/notices/<int:notice_id>/object")
def objection_submit(notice_id: int):
    shown = _shown(notices.get(db.session, notice_id))
    values = {k: request.form.get(k, "") for k in ("reason", "contact", "name")}
    try:
        notices.object_to(db.session, notice_id, values["reason"], values["contact"],
                          values["name"], request.remote_addr or "unknown")
    except Invalid as err:  # the form again, with what was typed and each field's problem
        return _form(shown, values, err.fields, _("请按提示修改后重新提交"), status_for(err))
    except TooManyRequests as err:
        return _form(shown, values, None, _("提交过于频繁，请一小时后再试"), status_for(err))
    return render_template("public/thanks.html", notice=shown)


def _public_error(status: int, message: str):
    return render_template("public/error.html", status=status, message=message), status


@public.errorhandler(DomainError)
def _refused(err: DomainError):
    """The public's own error page, with the status web/errors.py gives the error."""
    fallback = _("页面不存在") if isinstance(err, NotFound) else _("请求有误")
    return _public_error(status_for(err), str(err) or fallback)


@public.errorhandler(CSRFError)
def _stale_form(err: CSRFError):
    return _public_error(http_status(err), _("页面已过期，请刷新页面后重新填写提交"))

"""Print-ready documents of a case (审核确认表, 不予认定告知书): thin routes over the engine's
reads, rendered from the case version's templates (web.documents)."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for

from engine.casework import documents
from engine.time import calendar, clock

from .. import documents as rendering
from ..auth import actor
from ..extensions import db
from . import pages


def print_page(kind: str, sheets: list[dict[str, Any]], title: str, back: str | None,
               **extra: Any):
    """A print page: one or more sheets of one kind, each from its own version's template."""
    today = calendar.local_date(clock.now())
    rendered, problems = [], []
    for sheet in sheets:
        html, problem = rendering.render(kind, sheet.get("documents") or {},
                                         {**sheet, **extra, "today": today})
        rendered.append(html)
        if problem and problem not in problems:
            problems.append(problem)
    return render_template("documents/_page.html", kind=kind, sheets=rendered, title=title,
                           back=back, problems=problems)


@pages.get("/cases/<int:case_id>/print")
def case_print(case_id: int):
    """审核确认表: the whole case on A4, for the case file."""
    sheet = documents.confirmation_sheet(db.session, actor(), case_id)
    return print_page("confirmation_sheet", [sheet], f"审核确认表 #{case_id}",
                      url_for("pages.case", case_id=case_id))


@pages.get("/cases/<int:case_id>/refusal-notice")
def refusal_notice(case_id: int):
    """不予认定告知书 to hand to the household; 404 with a message for a case not refused."""
    sheet = documents.refusal_notice(db.session, actor(), case_id)
    return print_page("refusal_notice", [sheet], f"不予认定告知书 #{case_id}",
                      url_for("pages.case", case_id=case_id))

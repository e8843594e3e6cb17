"""Server-rendered pages of the officials' workspace: thin routes over engine calls.

Every page needs a signed-in official; each module holds one topic's routes.
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from engine.casework import hits, workspace

from ..auth import require_login
from .labels import (
    action_label,
    category_label,
    level_label,
    model_step_name,
    nav_for,
    outcome_label,
    procedure_name,
    relation_label,
    role_label,
    status_label,
    step_name,
)

pages = Blueprint("pages", __name__)


pages.before_request(require_login)


@pages.app_context_processor
def navigation() -> dict:
    items = nav_for(workspace.powers(current_user.user)) if current_user.is_authenticated else []
    return {"nav_items": items}


@pages.record_once
def _label_helpers(state) -> None:
    """Globals, not context, so that imported macro files see them too."""
    state.app.jinja_env.globals.update(
        role_label=role_label, status_label=status_label, action_label=action_label,
        level_label=level_label, outcome_label=outcome_label, category_label=category_label,
        relation_label=relation_label, masked=hits.masked)
    state.app.jinja_env.filters.update(step_name=step_name, procedure_name=procedure_name,
                                       model_step_name=model_step_name)


@pages.get("/")
def home():
    """Each role lands where its work is."""
    items = nav_for(workspace.powers(current_user.user))
    return redirect(url_for(items[0][0]) if items else url_for("pages.cases"))


from . import (  # noqa: E402,F401  (routes register)
    attachments,
    cases,
    crosscheck,
    documents,
    drafts,
    household_sheet,
    inbox,
    intake,
    ledgers,
    payroll,
    procedures,
    tasks,
)

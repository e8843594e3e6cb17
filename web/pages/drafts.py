"""Nothing typed is lost: what the form pages need for drafts, the session warning and the
duplicate check on intake.

- The browser keeps a copy of a form in progress in localStorage (static/drafts.js), keyed by
  user and form; the page names the key, and the page after a successful submit names the key
  to clear. 保存草稿 keeps a copy on the server (engine.casework.drafts).
- Every signed-in page carries the idle timeout, so the page can warn before it ends;
  `/session/keepalive` keeps the session alive (any page request re-signs the cookie).
- `POST /cases/new/duplicates` answers the intake page's check of the head's ID number.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.casework import attachments, duplicates
from engine.store.models import Draft

from ..api.drafts import duplicate_view
from ..auth import actor
from ..extensions import db
from . import pages
from .labels import category_label

DONE = "draft_done"  # the session key naming the local draft to clear


def size_text(size: int) -> str:
    """Bytes as an official reads them: "15 MB", "1.5 MB", "800 KB"."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(size, 0) // 1024} KB"


@pages.app_template_filter("filesize")
def _filesize(size: int) -> str:
    return size_text(int(size or 0))


def local_key(form_key: str) -> str:
    """The localStorage key of a form: by user, so a shared computer keeps drafts apart."""
    return f"yimen-draft:u{actor().id}:{form_key}"


def draft_context(form_key: str, saved: Draft | None) -> dict[str, Any]:
    """Template values of a form page: its local draft key and the server draft's time."""
    return {"draft_key": local_key(form_key), "server_draft": saved,
            "server_draft_ms": int(saved.saved_at.timestamp() * 1000) if saved else 0}


def finished_form(form_key: str) -> None:
    """The form was submitted: the next page tells the browser to drop its local copy."""
    session[DONE] = local_key(form_key)


@pages.app_context_processor
def _limits_and_session() -> dict[str, Any]:
    """Upload limits (from the app config) and the idle timeout, for every page."""
    values: dict[str, Any] = {
        "max_file_bytes": attachments.MAX_BYTES,
        "max_request_bytes": current_app.config.get("MAX_CONTENT_LENGTH") or 0,
    }
    if current_user.is_authenticated:
        lifetime = current_app.permanent_session_lifetime
        values["idle_seconds"] = int(lifetime.total_seconds())
        values["draft_done"] = session.pop(DONE) if DONE in session else ""
        values["draft_prefix"] = f"yimen-draft:u{current_user.user.id}:"
    return values


@pages.get("/session/keepalive")
def keepalive():
    """Nothing but a signed-in request: the session cookie is re-signed for another period."""
    return "", 204


@pages.post("/cases/new/duplicates")
def intake_duplicates():
    """The intake page's check, as soon as the head's ID number is typed: a running case of the
    household (linked when the official may see it) and a benefit it receives. Posted (with the
    page's CSRF token), so that the ID number stays out of URLs and access logs."""
    args = request.form
    found = duplicates.check(db.session, actor(), args.get("procedure", ""),
                             args.get("village", ""), args.get("id_number", ""))
    body = duplicate_view(found)
    body["messages"] = _messages(found)
    return jsonify(body)


def _messages(found: duplicates.Found) -> list[dict[str, str]]:
    """What the page shows: a refusal-to-come for a running case, a warning for a benefit."""
    out: list[dict[str, str]] = []
    if found.running_case_id is not None:
        out.append({"level": "error", "link": url_for("pages.case", case_id=found.running_case_id),
                    "link_text": _("查看案件 #%(id)s", id=found.running_case_id),
                    "text": _("该户已有正在办理的案件，办结前不能重复受理。")})
    elif found.running:
        out.append({"level": "error", "link": "", "link_text": "",
                    "text": _("该户已有正在办理的案件（不在您的查看范围内），"
                              "办结前不能重复受理。")})
    benefit = found.benefit
    if benefit is None and found.exits:  # an exit (销号) needs a household on the roll
        out.append({"level": "error", "link": "", "link_text": "",
                    "text": _("该户不在保障名册中（未查到此户主身份证号码正在享受待遇的家庭），"
                              "不能办理退出。")})
    if benefit is not None:
        category = benefit.category_label if benefit.category_label != benefit.category \
            else category_label(benefit.category) if benefit.category else _("社会救助")
        receives = _("该户正在享受%(category)s，每月 %(amount)s 元（自 %(since)s 起）。",
                     category=category, amount=f"{benefit.monthly_amount:.2f}",
                     since=benefit.effective_from.isoformat())
        out.append({
            "level": "info" if found.exits else "warning",
            "link": url_for("pages.case", case_id=benefit.case_id) if benefit.case_id else "",
            "link_text": _("查看认定案件 #%(id)s", id=benefit.case_id) if benefit.case_id else "",
            "text": receives if found.exits else receives + _("请确认是否需要重新申请。")})
    return out

"""Uploading and downloading the files that `file` form fields point to."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, send_file
from werkzeug.datastructures import FileStorage

from engine import attachments

from ..auth import actor
from ..extensions import db
from . import pages


def root() -> Path:
    """ATTACHMENT_DIR, or attachments/ under the instance folder."""
    configured = current_app.config.get("ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def save_upload(upload: FileStorage, path: str) -> str:
    return attachments.save(root(), actor(), upload.filename or "", upload.mimetype or "",
                            upload.read(), field=path)


def attachment_name(att_id: str) -> str | None:
    return attachments.describe(root(), att_id)


@pages.get("/cases/<int:case_id>/attachments/<att_id>")
def attachment(case_id: int, att_id: str):
    """The file, for officials who may see the case that names it."""
    found = attachments.for_case(db.session, actor(), root(), case_id, att_id)
    return send_file(found.path, mimetype=found.content_type, as_attachment=True,
                     download_name=found.filename)


@pages.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals["attachment_name"] = attachment_name

"""Uploading and downloading the files that `file` form fields point to."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import send_file
from werkzeug.datastructures import FileStorage

from engine.casework import attachments

from .. import downloads
from ..auth import actor
from ..extensions import db
from . import pages


@dataclass
class Uploads:
    """The checked files of one submission, handed to the engine call that stores them."""

    items: list[attachments.Upload] = field(default_factory=list)

    def add(self, upload: FileStorage, path: str) -> str:
        """Check one file (or raise Invalid on `path`) and return the id its field keeps."""
        checked = attachments.check(upload.filename or "", upload.mimetype or "",
                                    upload.read(attachments.MAX_BYTES + 1), field=path)
        self.items.append(checked)
        return checked.id


def attachment_name(att_id: str, case_id: int | None = None) -> str | None:
    return attachments.describe(db.session, case_id, att_id)


@pages.get("/cases/<int:case_id>/attachments/<att_id>")
def attachment(case_id: int, att_id: str):
    """The file, for officials who may see its case: always a download, never rendered."""
    found = attachments.for_case(db.session, actor(), case_id, att_id)
    response = send_file(io.BytesIO(found.data), mimetype=found.content_type,
                         etag=found.sha256, max_age=0)
    response.headers["Content-Disposition"] = downloads.disposition(found.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@pages.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals["attachment_name"] = attachment_name

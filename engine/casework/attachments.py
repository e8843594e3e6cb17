"""Attachments for `file` form fields: checked bytes kept in the database, the form keeping the id.

Why the database and not a folder: a file then becomes permanent in the same transaction as the
form that names it, so a refused form (invalid value, conflict, model error) leaves neither a
row nor a stray file; every gunicorn worker and machine sees the same files without a shared
folder; and there is no window between a commit and a file move in which a crash could leave
a row without its file. Files are at most 15 MB and few per case, which PostgreSQL (`bytea`) and
SQLite hold without trouble.

An upload is checked (`check`) as soon as it arrives, but stays a plain value (`Upload`) until
the engine call that takes the form stores it (`attach`) inside that call's unit of work,
together with the case it belongs to. A file belongs to exactly one case: a form may name only
attachments of its own case, and only that case's officials may download it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine.people import scope
from engine.store.errors import Invalid, NotFound
from engine.store.models import Attachment, Case, User

MAX_BYTES = 15 * 1024 * 1024
ID = re.compile(r"^att-[0-9a-f]{24}$")
HINT = "请上传 PDF、图片（JPG、PNG、GIF、WEBP、HEIC）、Word、Excel 或纯文本文件"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file container of .doc and .xls
GENERIC = frozenset({"", "application/octet-stream", "binary/octet-stream",
                     "application/unknown", "application/x-download"})


@dataclass(frozen=True)
class Kind:
    """An accepted file type: how it is named, what browsers may declare, what we serve."""

    label: str
    mime: str
    suffixes: frozenset[str]
    declared: frozenset[str]


def _kind(label: str, mime: str, suffixes: str, *declared: str) -> Kind:
    return Kind(label, mime, frozenset(suffixes.split()), frozenset({mime, *declared}))


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Keyed by filetype's extension for the sniffed content; "txt" is decided by decoding.
KINDS: dict[str, Kind] = {
    "pdf": _kind("PDF 文档", "application/pdf", ".pdf", "application/x-pdf"),
    "jpg": _kind("JPEG 图片", "image/jpeg", ".jpg .jpeg", "image/jpg", "image/pjpeg"),
    "png": _kind("PNG 图片", "image/png", ".png", "image/x-png"),
    "gif": _kind("GIF 图片", "image/gif", ".gif"),
    "webp": _kind("WEBP 图片", "image/webp", ".webp"),
    "heic": _kind("HEIC 图片", "image/heic", ".heic", "image/heif"),
    "doc": _kind("Word 文档", "application/msword", ".doc"),
    "docx": _kind("Word 文档", DOCX, ".docx"),
    "xls": _kind("Excel 表格", "application/vnd.ms-excel", ".xls", "application/msexcel"),
    "xlsx": _kind("Excel 表格", XLSX, ".xlsx"),
    "txt": _kind("纯文本", "text/plain", ".txt"),
}
ALLOWED = frozenset(s for kind in KINDS.values() for s in kind.suffixes)


@dataclass(frozen=True)
class Upload:
    """A checked upload not yet stored: it is stored by the call that takes its form."""

    id: str
    filename: str
    content_type: str  # from the sniffed content, never the declared type
    data: bytes


def check(filename: str, declared: str, data: bytes, field: str = "file") -> Upload:
    """Accept an upload whose content, name and declared type agree; else Invalid on `field`.

    The type comes from the bytes (`filetype`); the name's extension and the type the browser
    declared must both agree with it, so an .exe renamed photo.jpg, or a PDF sent as text/html,
    is refused.
    """
    name = Path((filename or "").replace("\\", "/")).name.strip()[:200]
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED:
        raise Invalid({field: [f"不支持的附件类型 {suffix or '（无扩展名）'}，{HINT}"]})
    if not data:
        raise Invalid({field: ["附件是空文件"]})
    if len(data) > MAX_BYTES:
        raise Invalid({field: [f"附件不能超过 {MAX_BYTES // 1024 // 1024} MB"]})
    sniffed, content_type = _sniff(data, suffix)
    kind = KINDS.get(sniffed or "")
    if kind is None or suffix not in kind.suffixes:
        what = f"内容是 {kind.label}" if kind else "内容不是可接受的文件类型"
        raise Invalid({field: [f"附件“{name}”的{what}，与扩展名 {suffix} 不符；{HINT}"]})
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in GENERIC and declared not in kind.declared:
        raise Invalid({field: [f"附件“{name}”声明的类型 {declared[:80]} 与其内容（{kind.label}）"
                               f"不符，请重新选择文件上传"]})
    return Upload(f"att-{secrets.token_hex(12)}", name, content_type, data)


def _sniff(data: bytes, suffix: str) -> tuple[str | None, str]:
    """The content's kind and the type to serve it with."""
    guessed = filetype.guess(data)
    if guessed is not None:
        kind = "jpg" if guessed.extension == "jpg" else guessed.extension
        return kind, KINDS[kind].mime if kind in KINDS else guessed.mime
    if data.startswith(OLE) and suffix in (".doc", ".xls"):
        # filetype knows only some layouts of the old Office formats; a compound file named
        # .doc or .xls is taken as such (it is served as that type and as a download).
        kind = suffix[1:]
        return kind, KINDS[kind].mime
    if b"\x00" not in data:
        for charset in ("utf-8", "gb18030"):
            try:
                data.decode(charset)
            except UnicodeDecodeError:
                continue
            return "txt", f"text/plain; charset={charset}"
    return None, "application/octet-stream"


def file_values(fields: Sequence[forms.FieldDef], data: dict[str, Any],
                prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, value) of every `file` field in clean form data, rows included."""
    for fdef in fields:
        value = data.get(fdef.name)
        if fdef.type == "file" and isinstance(value, str):
            yield prefix + fdef.name, value
        elif fdef.type == "rows" and isinstance(value, list):
            for index, row in enumerate(value):
                if isinstance(row, dict):
                    yield from file_values(fdef.fields or (), row,
                                           f"{prefix}{fdef.name}.{index}.")


def attach(db: Session, actor: User | None, case: Case, form: forms.Form,
           clean: dict[str, Any], uploads: Sequence[Upload], now: datetime) -> None:
    """Store this submission's uploads for `case` and check every attachment the form names.

    Runs inside the caller's unit of work, so the files commit with the form or not at all.
    An id of Yimen's attachment shape must be an upload of this submission or an attachment
    of this case; anything else is refused on the field that names it. Other text in a file
    field is an outside reference that Yimen never serves.
    """
    new = {u.id: u for u in uploads}
    named = [(path, value) for path, value in file_values(form.fields, clean)
             if ID.match(value)]
    earlier = {value for _, value in named if value not in new}
    ours = set(db.scalars(select(Attachment.id).where(
        Attachment.id.in_(earlier), Attachment.case_id == case.id))) if earlier else set()
    problems = {path: ["该附件不属于本案件或已不存在，请重新上传"]
                for path, value in named if value not in new and value not in ours}
    if problems:
        raise Invalid(problems)
    for upload in uploads:
        if any(value == upload.id for _, value in named):
            db.add(Attachment(id=upload.id, case_id=case.id, filename=upload.filename,
                              content_type=upload.content_type, size=len(upload.data),
                              sha256=hashlib.sha256(upload.data).hexdigest(),
                              data=upload.data, uploaded_at=now,
                              uploaded_by_id=actor.id if actor else None))


def for_case(db: Session, actor: User, case_id: int, att_id: str) -> Attachment:
    """The file, when the actor may see the case and the file was uploaded for it."""
    found = db.scalar(select(Attachment).join(Case, Case.id == Attachment.case_id).where(
        Attachment.id == att_id, Case.id == case_id, scope.case_filter(actor))
    ) if ID.match(att_id or "") else None
    if found is None:
        raise NotFound("附件不存在")
    return found


def describe(db: Session, case_id: int | None, att_id: str) -> str | None:
    """The original file name for showing beside an id of that case, or None when unknown."""
    if case_id is None or not ID.match(att_id or ""):
        return None
    return db.scalar(select(Attachment.filename).where(
        Attachment.id == att_id, Attachment.case_id == case_id))

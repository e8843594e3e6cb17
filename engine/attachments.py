"""Attachments for `file` form fields: the bytes kept in a folder, the form keeping only the id.

A file is stored under `root/<id>` with its name and type beside it in `root/<id>.json`. Who
may download it follows the case: an official who can see a case whose application or step
data names the id. The folder is local to one machine; several app servers need a shared
folder (NFS) or an object store behind the same three functions.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import cases, clock
from .errors import Invalid, NotFound
from .models import HumanTask, User

ALLOWED = {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".doc", ".docx",
           ".xls", ".xlsx", ".txt"}
MAX_BYTES = 15 * 1024 * 1024
ID = re.compile(r"^att-[0-9a-f]{24}$")


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    content_type: str
    size: int
    path: Path


def save(root: Path, actor: User, filename: str, content_type: str, data: bytes,
         field: str = "file") -> str:
    """Keep an uploaded file and return the id the form stores; refuses odd types or sizes."""
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED:
        raise Invalid({field: [f"不支持的附件类型 {suffix or '（无扩展名）'}，"
                               f"请上传 PDF、图片或 Office 文档"]})
    if not data:
        raise Invalid({field: ["附件是空文件"]})
    if len(data) > MAX_BYTES:
        raise Invalid({field: [f"附件不能超过 {MAX_BYTES // 1024 // 1024} MB"]})
    root.mkdir(parents=True, exist_ok=True)
    att_id = f"att-{secrets.token_hex(12)}"
    (root / att_id).write_bytes(data)
    meta = {"filename": name, "content_type": content_type or "application/octet-stream",
            "size": len(data), "uploaded_by": actor.username,
            "uploaded_at": clock.now().isoformat()}
    (root / f"{att_id}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return att_id


def _mentions(value: Any, att_id: str) -> bool:
    if isinstance(value, dict):
        return any(_mentions(v, att_id) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, att_id) for v in value)
    return value == att_id


def for_case(db: Session, actor: User, root: Path, case_id: int, att_id: str) -> Attachment:
    """The file, when the actor may see the case and the case's data names it."""
    case = cases.visible(db, actor, case_id)
    if not ID.match(att_id or ""):
        raise NotFound("附件不存在")
    named = _mentions(case.application, att_id) or any(
        _mentions(data, att_id) for data in db.scalars(
            select(HumanTask.data).where(HumanTask.case_id == case.id,
                                         HumanTask.data.is_not(None))))
    path, meta_path = root / att_id, root / f"{att_id}.json"
    if not named or not path.exists() or not meta_path.exists():
        raise NotFound("附件不存在")
    meta = json.loads(meta_path.read_text("utf-8"))
    return Attachment(att_id, meta["filename"], meta["content_type"], meta["size"], path)


def describe(root: Path, att_id: str) -> str | None:
    """The original file name for showing beside an id, or None when unknown."""
    if not ID.match(att_id or ""):
        return None
    meta_path = root / f"{att_id}.json"
    if not meta_path.exists():
        return None
    return json.loads(meta_path.read_text("utf-8")).get("filename")

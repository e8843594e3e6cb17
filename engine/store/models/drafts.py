"""Drafts: a form an official is still filling in, kept for them alone until submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import Base, UTCDateTime


class Draft(Base):
    """One official's unsubmitted values of one form: a task's form (`task_id`), or the intake
    form of a procedure and village (`form_key` "intake:<procedure>:<village>").

    Drafts hold personal data: only their owner reads them, they never enter the audit trail,
    and they are deleted when the task is completed or the case is opened."""

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("user_id", "form_key", name="uq_form_draft_user_form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    form_key: Mapped[str] = mapped_column(String(200))  # "task:<id>" or "intake:<proc>:<village>"
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    comment: Mapped[str] = mapped_column(String(2000), default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())

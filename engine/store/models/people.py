"""The org tree, users, API tokens and failed sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.models.base import (
    ROLE_TASK_LEVEL,
    Base,
    UTCDateTime,
)


class OrgUnit(Base):
    """A node of district → township → village, or a third-party assessor under a district.

    `path` holds the ancestor codes ("/370305/370305101/370305101201/") so that "everything
    under this township" is one indexed prefix query.
    """

    __tablename__ = "org_unit"
    __table_args__ = (
        Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        Index("ix_org_unit_parent_level", "parent_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    path: Mapped[str] = mapped_column(String(400))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    def covers(self, other: OrgUnit) -> bool:
        """True when `other` is this org or lies below it."""
        return other.path.startswith(self.path)

    def path_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notifications_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Accounts (issue 11): an admin-set password must be changed at first sign-in; a browser
    # session names the version it was opened under, so logout or a password change ends it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)

    @property
    def task_level(self) -> str | None:
        return ROLE_TASK_LEVEL.get(self.role)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginFailure(Base):
    """One wrong password, kept for the lockout window; shared by every worker process."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CacheVersion(Base):
    """One row (id 1) whose counter database triggers bump on every change to org units,
    users and API tokens: processes cache those and drop the cache when it moves
    (engine.store.cache)."""

    __tablename__ = "cache_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)

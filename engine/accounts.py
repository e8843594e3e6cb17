"""Users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .errors import Invalid, NotFound, Unauthorized
from .models import LEVEL_NAMES, ROLE_NAMES, ROLE_ORG_LEVEL, ROLES, ApiToken, User
from .orgs import by_code
from .uow import unit_of_work

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def add_user(db: Session, username: str, role: str, org_code: str, password: str | None = None,
             display_name: str = "") -> User:
    problems: dict[str, list[str]] = {}
    if not USERNAME.match(username or ""):
        problems["username"] = ["用户名须为 2–64 位字母、数字、下划线、点或连字符"]
    if role not in ROLES:
        problems["role"] = [f"角色应为 {', '.join(ROLES)} 之一"]
    if password is not None and len(password) < 8:
        problems["password"] = ["密码至少 8 位"]
    with unit_of_work(db):
        if problems:
            raise Invalid(problems)
        try:
            org = by_code(db, org_code)
        except NotFound:
            raise Invalid({"org": [f"机构代码 {org_code} 不存在"]}) from None
        need = ROLE_ORG_LEVEL[role]
        if need and org.level != need:
            raise Invalid({"org": [
                f"{ROLE_NAMES[role]}须属于{LEVEL_NAMES[need]}级机构，"
                f"{org.name} 是{LEVEL_NAMES[org.level]}"
            ]})
        if db.scalar(select(User.id).where(User.username == username)) is not None:
            raise Invalid({"username": [f"用户名 {username} 已存在"]})
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            org=org,
            password_hash=generate_password_hash(password) if password else "",
            created_at=clock.now(),
        )
        db.add(user)
    return user


def by_username(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def check_password(db: Session, username: str, password: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash or not check_password_hash(
        user.password_hash, password or ""
    ):
        raise Unauthorized("用户名或密码错误")
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    with unit_of_work(db):
        db.add(ApiToken(token_hash=_hash(token), user_id=user.id, created_at=clock.now()))
    return token


def user_for_token(db: Session, token: str) -> User:
    """The active user a bearer token belongs to; one indexed query."""
    row = db.scalar(
        select(ApiToken).where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        raise Unauthorized("令牌无效或已失效")
    return row.user

"""Users, passwords and API tokens.

Security rules (等保 level 3, see README "Accounts and sign-in"):
- 5 wrong passwords for one username within 15 minutes lock it for 15 minutes; 50 from one
  client address lock that address likewise. Failures live in the database, so every worker
  process sees them.
- A password set by an admin (or the demo) must be changed at first sign-in; a password a user
  chooses must pass `password_problems`.
- Tokens expire (30 days unless told otherwise) and can be revoked; a password change revokes
  them all and ends the user's browser sessions (`session_version`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.people.orgs import by_code
from engine.people.passwords import hash_password, verify_password
from engine.store import cache
from engine.store.errors import Invalid, NotFound, TooManyRequests, Unauthorized
from engine.store.models import (
    LEVEL_NAMES,
    ROLE_NAMES,
    ROLE_ORG_LEVEL,
    ROLES,
    ApiToken,
    LoginFailure,
    User,
)
from engine.store.uow import unit_of_work
from engine.time import clock

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


USER_FAILURES = 5  # wrong passwords for one username ...
ADDRESS_FAILURES = 50  # ... or from one client address ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window ...
LOCKOUT = timedelta(minutes=15)  # ... refuse sign-in for this long
FAILURES_KEPT = timedelta(days=1)
TOKEN_DAYS = 30
MAX_TOKEN_DAYS = 365
MIN_TEMPORARY_PASSWORD = 8  # an admin-set password, to be changed at first sign-in
MIN_PASSWORD = 10
# Passwords anyone can look up: the demo's, and the commonest ones (compared case-insensitively).
KNOWN_PASSWORDS = frozenset({
    "yimen2026", "yimen@2026", "yimen2026!", "password", "password1", "password123",
    "passw0rd", "p@ssw0rd", "p@ssw0rd123", "12345678", "123456789", "1234567890",
    "qwerty123", "admin123", "admin@123", "1qaz2wsx", "1qaz@wsx", "abc123456", "a123456789",
})


def add_user(db: Session, username: str, role: str, org_code: str, password: str | None = None,
             display_name: str = "", must_change: bool = True) -> User:
    """Create a user; a password given here is temporary unless `must_change` is False
    (tests build users who are past their first sign-in)."""
    problems: dict[str, list[str]] = {}
    if not USERNAME.match(username or ""):
        problems["username"] = ["用户名须为 2–64 位字母、数字、下划线、点或连字符"]
    if role not in ROLES:
        problems["role"] = [f"角色应为 {', '.join(ROLES)} 之一"]
    if password is not None and len(password) < MIN_TEMPORARY_PASSWORD:
        problems["password"] = [f"密码至少 {MIN_TEMPORARY_PASSWORD} 位"]
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
        # Names differing in case only would be two accounts an official cannot tell apart.
        taken = db.scalar(select(User.username)
                          .where(func.lower(User.username) == username.lower()))
        if taken is not None:
            same = "" if taken == username else f"（不区分大小写，已有 {taken}）"
            raise Invalid({"username": [f"用户名 {username} 已存在{same}"]})
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            org=org,
            password_hash=hash_password(password) if password else "",
            created_at=clock.now(),
            must_change_password=must_change,
            session_version=1,
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
    if user is None or not user.active or not user.password_hash or not verify_password(
        user.password_hash, password or ""
    ):
        raise Unauthorized("用户名或密码错误")
    return user


def password_problems(username: str, password: str) -> list[str]:
    """Why a password a user chose is too weak; empty when it is strong enough."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"密码至少 {MIN_PASSWORD} 位")
    classes = sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),  # 符号, 汉字
    ))
    if classes < 3:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    lowered = password.lower()
    if lowered in KNOWN_PASSWORDS or any(known in lowered for known in ("yimen2026", "password")):
        problems.append("不能使用演示密码或常见密码")
    return problems


# -- signing in, with lockout ------------------------------------------------------------


def _locked_until(db: Session, column, value: str, limit: int, now: datetime) -> datetime | None:
    """When `limit` failures fell within the window, refused until LOCKOUT after the last one.

    Refused attempts are not recorded, so the newest failure is the one that locked."""
    recent = [clock.as_utc(at) for at in db.scalars(
        select(LoginFailure.at).where(column == value, LoginFailure.at > now - FAILURE_WINDOW
                                      - LOCKOUT).order_by(LoginFailure.at.desc()).limit(limit))]
    if len(recent) < limit or recent[0] - recent[-1] > FAILURE_WINDOW:
        return None
    until = recent[0] + LOCKOUT
    return until if now < until else None


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def _refuse_when_locked(db: Session, key: str, address: str, now: datetime) -> None:
    until = _locked_until(db, LoginFailure.username, key, USER_FAILURES, now)
    if until is not None:
        raise TooManyRequests(f"密码连续输错 {USER_FAILURES} 次，该账户已暂时锁定，"
                              f"请 {_minutes_left(until, now)} 分钟后再试")
    until = _locked_until(db, LoginFailure.address, address, ADDRESS_FAILURES, now)
    if until is not None:
        raise TooManyRequests(f"该地址登录失败次数过多，请 {_minutes_left(until, now)} 分钟后再试")


def _record_failure(db: Session, key: str, address: str, now: datetime) -> None:
    with unit_of_work(db):
        db.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURES_KEPT))
        db.add(LoginFailure(username=key, address=address, at=now))


def _username_key(username: str) -> str:
    """What failures are counted under: the name, or one bucket for impossible names (which
    never reach the database as typed: NUL bytes, 2 000 characters)."""
    return username if USERNAME.match(username or "") else "?"


def _address(address: str | None) -> str:
    """The client address as stored: bounded, and without NUL (PostgreSQL refuses it)."""
    return (address or "unknown").replace("\x00", "")[:64] or "unknown"


def sign_in(db: Session, username: str, password: str, address: str) -> User:
    """The user these credentials name, unless the username or the address is locked out.

    Raises TooManyRequests while locked (even for the right password), Unauthorized for
    wrong credentials (recorded). A temporary password is the caller's business."""
    now = clock.now()
    key, address = _username_key(username), _address(address)
    _refuse_when_locked(db, key, address, now)
    try:
        if key == "?":
            raise Unauthorized("用户名或密码错误")
        user = check_password(db, username, password)
    except Unauthorized:
        _record_failure(db, key, address, now)
        raise
    with unit_of_work(db):
        db.execute(delete(LoginFailure).where(LoginFailure.username == key))
    return user


def issue_token_for_sign_in(db: Session, username: str, password: str,
                            address: str) -> tuple[str, datetime]:
    """`POST /api/tokens`: the contract's exchange of credentials for an expiring token, under
    the same lockout as the sign-in page.

    A temporary password (admin-set or demo) still gets a token here: the API serves scripts
    and integrations, as `yimen token` does, and the contract promises them a token. The
    first-sign-in change is enforced where people sign in, on the pages."""
    return grant_token(db, sign_in(db, username, password, address))


# -- passwords -------------------------------------------------------------------------------


def _end_everything(db: Session, user: User) -> None:
    """Revoke every token and end every browser session of `user` (inside a unit of work)."""
    now = clock.now()
    db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=now))
    user.session_version = (user.session_version or 1) + 1


def change_password(db: Session, user: User, current: str, new: str, repeat: str,
                    address: str) -> User:
    """A user replaces their own password; other sessions and all tokens end.

    A wrong current password counts as a failed sign-in, so a borrowed session cannot be
    used to guess it."""
    now = clock.now()
    address = _address(address)
    _refuse_when_locked(db, user.username, address, now)
    if not verify_password(user.password_hash or "", current or ""):
        _record_failure(db, user.username, address, now)
        raise Invalid({"current_password": ["当前密码不正确"]}, "密码未修改")
    problems: dict[str, list[str]] = {}
    weak = password_problems(user.username, new or "")
    if weak:
        problems["new_password"] = weak
    if new != repeat:
        problems["repeat_password"] = ["两次输入的新密码不一致"]
    if new and new == current:
        problems.setdefault("new_password", []).append("新密码不能与当前密码相同")
    if problems:
        raise Invalid(problems, "密码未修改")
    with unit_of_work(db):
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.password_changed_at = now
        _end_everything(db, user)
    return user


def set_password(db: Session, username: str, password: str) -> User:
    """An admin sets a temporary password: the user must change it at next sign-in; their
    tokens and sessions end, and a lockout on the name is lifted."""
    user = by_username(db, username)
    if len(password or "") < MIN_TEMPORARY_PASSWORD:
        raise Invalid({"password": [f"密码至少 {MIN_TEMPORARY_PASSWORD} 位"]}, "密码未设置")
    with unit_of_work(db):
        user.password_hash = hash_password(password)
        user.must_change_password = True
        user.password_changed_at = clock.now()
        _end_everything(db, user)
        db.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


# -- browser sessions ------------------------------------------------------------------------


def set_active(db: Session, username: str, active: bool) -> User:
    """`yimen user deactivate|activate`: a deactivated user can neither sign in nor use a
    token, and every session and token they had ends at once; their name stays on the
    records they made. Activating does not bring old tokens back."""
    user = by_username(db, username)
    with unit_of_work(db):
        if user.active and not active:
            _end_everything(db, user)
        user.active = active
    return user


def end_sessions(db: Session, user: User) -> None:
    """Sign-out: every browser session of the user stops being accepted, whoever holds it."""
    with unit_of_work(db):
        user.session_version = (user.session_version or 1) + 1


# -- API tokens ------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def grant_token(db: Session, user: User, days: int = TOKEN_DAYS) -> tuple[str, datetime]:
    """A new bearer token and the instant it stops working (never for a deactivated user,
    whose token every request would refuse)."""
    if not user.active:
        raise Invalid({"username": [f"用户 {user.username} 已停用"]}, "令牌未签发")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid({"days": [f"有效期应为 1–{MAX_TOKEN_DAYS} 天"]}, "令牌未签发")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(days=days)
    with unit_of_work(db):
        db.add(ApiToken(token_hash=_hash(token), user_id=user.id, created_at=now,
                        expires_at=expires))
    return token, expires


def issue_token(db: Session, user: User, days: int = TOKEN_DAYS) -> str:
    return grant_token(db, user, days)[0]


def user_for_token(db: Session, token: str) -> User:
    """The active user a live (unexpired, unrevoked) bearer token belongs to.

    Tokens are cached per process (engine.store.cache): a revocation, a deactivation or any
    change to users or tokens moves the cache counter, so the next request sees it; expiry
    is checked on every call."""
    cache.refresh(db)
    found = cache.lookup(db, "token", _hash(token), lambda: _live_token(db, token))
    if found is None or found[1] <= clock.now():
        raise Unauthorized("令牌无效或已失效")
    return cache.attach(db, found[0])


def _live_token(db: Session, token: str) -> tuple[User, datetime] | None:
    """(user, expiry) of an unrevoked token of an active user, or None."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token),
                                           ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user, row.expires_at


def revoke_token(db: Session, token: str) -> None:
    """`DELETE /api/tokens/current`: the token used stops working at once."""
    with unit_of_work(db):
        db.execute(update(ApiToken).where(ApiToken.token_hash == _hash(token),
                                          ApiToken.revoked_at.is_(None))
                   .values(revoked_at=clock.now()))


def revoke_tokens(db: Session, username: str) -> int:
    """`yimen token revoke`: every live token of the user stops working; how many did."""
    user = by_username(db, username)
    with unit_of_work(db):
        result = db.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                                   ApiToken.revoked_at.is_(None))
                            .values(revoked_at=clock.now()))
    return result.rowcount or 0

"""Per-process caches of rows that rarely change (org units, bearer tokens and their users).

Why: every API request resolved its token and every move looked up the case's org units, two
round trips of a completion's eleven. The cache is kept honest without a TTL by one counter
row, `cache_version`, that database triggers bump on every INSERT, UPDATE or DELETE of
`org_unit`, `user_account` and `api_token` (migration c3f1a9e07d42), whoever writes them.

A transaction reads the counter once, on its first cached lookup, and every API request reads
it again at its start (the token lookup); a cache space filled under another value is dropped.
So a revoked token, a deactivated user or a changed org is seen by the next request after the
change commits. The read is a one-row primary-key SELECT in place of the token lookup it
saves. A transaction that itself writes those tables (flush or a bulk UPDATE) bypasses the
cache until it ends.

Cached rows are detached objects; a session gets its own copy (`Session.merge(load=False)`,
no query), so no object is ever shared between sessions or threads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from engine.store.models import ApiToken, CacheVersion, OrgUnit, User

_VERSION = "yimen_cache_version"
_BYPASS = "yimen_cache_bypass"
WATCHED = frozenset({OrgUnit, User, ApiToken})
WATCHED_TABLES = frozenset(m.__table__ for m in WATCHED)

T = TypeVar("T")
# engine -> space -> (counter value, entries)
_spaces: WeakKeyDictionary[Engine, dict[str, tuple[int, dict[Hashable, Any]]]] = \
    WeakKeyDictionary()
# Built once (its cache key too); run on the Core connection, no ORM result machinery.
_READ_VERSION = select(CacheVersion.version).where(CacheVersion.id == 1)


def version(db: Session) -> int | None:
    """The counter as this transaction first read it (one small query per transaction);
    None when its row is missing (nothing may then be cached)."""
    if _VERSION not in db.info:
        db.info[_VERSION] = db.connection().scalar(_READ_VERSION)
    return db.info[_VERSION]


def refresh(db: Session) -> None:
    """Read the counter again at the next lookup: a request's start (a test client may keep
    one transaction open over several requests)."""
    db.info.pop(_VERSION, None)


def lookup(db: Session, space: str, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s value for `key`, from this process's cache when the counter has not moved.

    The value must be detached-safe (plain data or objects the caller merges)."""
    current = None if db.info.get(_BYPASS) else version(db)
    if current is None:
        return load()
    spaces = _spaces.setdefault(db.get_bind(), {})
    held = spaces.get(space)
    if held is None or held[0] != current:
        held = spaces[space] = (current, {})
    entries = held[1]
    if key in entries:
        return entries[key]
    value = entries[key] = load()
    return value


def clear() -> None:
    """Forget everything (tests that rebuild a database under the same engine)."""
    _spaces.clear()


def attach(db: Session, obj: T) -> T:
    """This session's own copy of a cached row, without a query."""
    return db.merge(obj, load=False)


@event.listens_for(Session, "after_flush")
def _after_flush(db: Session, _context) -> None:
    """A transaction that writes a watched table reads fresh rows from then on."""
    if any(type(o) in WATCHED for o in (*db.new, *db.dirty, *db.deleted)):
        db.info[_BYPASS] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table in WATCHED_TABLES:
        state.session.info[_BYPASS] = True


@event.listens_for(Session, "after_transaction_end")
def _forget(db: Session, transaction) -> None:
    if transaction.parent is None:
        db.info.pop(_VERSION, None)
        db.info.pop(_BYPASS, None)

"""The append-only, tamper-evident audit trail.

Every event stores `hash` = SHA-256 over a canonical JSON of its fields plus the hash of the
previous event of its chain. There is one chain per case and one chain (id 0) for events
without a case; `audit_chain` holds each chain's head (last hash, last event id).

Concurrency. A chain's appends must be serialized, or two writers would link to the same
predecessor. The process_instance optimistic version check is not enough for that: claims,
escalations, notices and benefit changes write a case's audit without touching its instance.
So each chain is serialized by its own head row: `record` only queues the event in the
session; just before the transaction commits (`before_commit`), after everything else has
been flushed, the heads of the chains the transaction appends to are locked in chain-id order
(SELECT ... FOR UPDATE on PostgreSQL; SQLite has a single writer anyway), the events are
linked and inserted, and the heads moved. Consequences:
- writers of different cases never wait for each other (no global lock); only events
  without a case (deploys, region jobs: rare) share chain 0;
- locks are taken last and in one order, after the instance row a timer or task has already
  written, so chain locks add no deadlock;
- a chain's events get ids in chain order (inserted under the lock), so `verify` can walk
  the table by id.

An event written in a transaction that rolls back never existed, as before.

Tampering that `verify` catches: a changed field (its hash no longer matches), a deleted or
inserted event (the next event's link breaks, or the head no longer matches the last event),
reordered events (links break), an edited case application (its digest no longer matches the
`case.opened` event's `application_sha256`), an edited submitted form (kept once, in
`human_task.data`: its digest no longer matches the `task.completed` event's `data_sha256`).
Events written before forms were kept once held the form itself; migration `c3e9f4a7d215`
replaced their changes with `legacy_completed(data)`, and `verify` hashes them with the task's
form in place of that marker, so their hashes, the chain heads and the root digest are
unchanged.

Someone able to rewrite the whole database could recompute every hash: `verify` prints a
root digest over all chain heads that operators can keep outside the database to detect
even that. On PostgreSQL a trigger refuses UPDATE and
DELETE on `audit_event` (migration `audit_...`).

The canonical form (engine/store/canonical.py) must never change: every stored hash depends on it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.store import oneshot
from engine.store.canonical import canonical
from engine.store.errors import Forbidden
from engine.store.models import AuditChain, AuditEvent, Case, HumanTask, User

GENESIS = "0" * 64
NO_CASE = 0
_PENDING = "yimen_audit_pending"


def record(db: Session, at: datetime, actor: User | None, action: str, *, case: Case | None = None,
           task: HumanTask | None = None, step: str | None = None, comment: str = "",
           changes: dict[str, Any] | None = None) -> AuditEvent:
    """Queue one event in the caller's transaction; it is linked and written at commit and
    rolls back with the change."""
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system",
        step=step or (task.step if task else None),
        action=action,
        comment=comment or "",
        changes=changes,
    )
    db.info.setdefault(_PENDING, []).append((event, case, task))
    return event


# ---------------------------------------------------------------- canonical form and hash


def data_digest(data: Any) -> str:
    """SHA-256 of the canonical JSON of a submitted form: what `task.completed` keeps of it."""
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


def completed(data: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The changes of a `task.completed` event: the outcome and the form's digest; the form
    itself is kept once, in the task row."""
    return {"outcome": outcome, "data_sha256": data_digest(data)}


def legacy_completed(data: dict[str, Any]) -> dict[str, Any]:
    """What migration c3e9f4a7d215 left in an older `task.completed` event that held the form: its
    hash was computed over the form, so `verify` hashes it with the task's form."""
    return {"outcome": str(data.get("decision", "done")), "data_sha256": data_digest(data),
            "hashed_with_data": True}


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any], previous: str) -> str:
    """SHA-256 of the canonical JSON of an event's fields and its predecessor's hash.

    `fields`: at (aware datetime), actor_id, actor_name, case_id, task_id, step, action,
    comment, changes.
    """
    body = {**fields, "at": _utc(fields["at"]), "previous": previous}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def hash_parts(fields: dict[str, Any]) -> tuple[str, str]:
    """The canonical text of `event_hash` around the previous hash: for every `previous`,
    sha256(prefix + previous + suffix) == event_hash(fields, previous). Lets PostgreSQL link
    an event to a head it locks in the same statement (engine.store.oneshot). Only the
    HASHED fields count, as in `event_hash(fields_of(e), ...)`."""
    body = {name: fields[name] for name in HASHED}
    body["at"] = _utc(fields["at"])
    items = [(k, f"{json.dumps(k, ensure_ascii=False)}:{canonical(v)}")
             for k, v in sorted((str(k), v) for k, v in body.items())]
    before = "".join(text + "," for k, text in items if k < "previous")
    after = "".join("," + text for k, text in items if k > "previous")
    return "{" + before + '"previous":"', '"' + after + "}"


HASHED = ("at", "actor_id", "actor_name", "case_id", "task_id", "step", "action", "comment",
          "changes")


def fields_of(e: Any) -> dict[str, Any]:
    """The hashed fields of an event (an AuditEvent or a row with the same attributes)."""
    return {name: getattr(e, name) for name in HASHED}


# ---------------------------------------------------------------- linking at commit


def _locked_heads(db: Session, chain_ids: list[int]) -> dict[int, AuditChain]:
    """The heads, locked: rows FOR UPDATE in id order on PostgreSQL; on SQLite (whose driver
    starts its transaction only at the first write) a no-op write takes the database lock."""
    query = select(AuditChain).where(AuditChain.chain_id.in_(chain_ids)) \
        .order_by(AuditChain.chain_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    else:
        db.execute(update(AuditChain).where(AuditChain.chain_id.in_(chain_ids))
                   .values(last_hash=AuditChain.last_hash))
    return {h.chain_id: h for h in db.scalars(query.execution_options(populate_existing=True))}


def _create_heads(db: Session, chain_ids: list[int]) -> None:
    """Insert missing heads; a concurrent creator of the same head wins quietly."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"chain_id": c, "last_hash": GENESIS, "last_event_id": 0} for c in chain_ids]
    db.execute(insert(AuditChain).values(rows).on_conflict_do_nothing())


def _link_pending(db: Session) -> None:
    pending = db.info.pop(_PENDING, None)
    if not pending:
        return
    db.flush()  # cases and tasks created in this transaction get their ids
    events = []
    for event, case, task in pending:
        event.case_id = case.id if case is not None else None
        event.task_id = task.id if task is not None else None
        events.append(event)
    chain_ids = sorted({e.case_id or NO_CASE for e in events})
    heads = _locked_heads(db, chain_ids)
    missing = [c for c in chain_ids if c not in heads]
    if missing:
        _create_heads(db, missing)
        heads = _locked_heads(db, chain_ids)
    last = {c: h.last_hash for c, h in heads.items()}
    for event in events:
        chain = event.case_id or NO_CASE
        event.hash = last[chain] = event_hash(fields_of(event), last[chain])
        db.add(event)
    db.flush()  # the events get their ids; the heads move in the commit's flush
    for event in events:
        head = heads[event.case_id or NO_CASE]
        head.last_hash, head.last_event_id = event.hash, event.id


@sa_event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    """The writes and the events go without the ORM's flush when they can (engine.store.oneshot:
    one statement on PostgreSQL); else the flush, the head locks and the inserts run below."""
    left = oneshot.write_all(db, db.info.get(_PENDING) or (), hash_parts)
    if left is not None:
        db.info[_PENDING] = list(left)
    _link_pending(db)


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction) -> None:
    """A rolled back or closed transaction forgets its queued events."""
    if transaction.parent is None:
        db.info.pop(_PENDING, None)


# ---------------------------------------------------------------- verification


@dataclass
class Verification:
    events: int
    cases: int
    root: str  # SHA-256 over every chain head, for keeping outside the database
    problem: str | None = None
    event_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _describe(e: AuditEvent) -> str:
    where = f"案件 {e.case_id}" if e.case_id else "无案件"
    return f"审计事件 #{e.id}（{where}，{e.action}）"


VERIFIER_ROLES = ("admin",)


def verify_as(db: Session, actor: User) -> Verification:
    """`verify` for the admin pages."""
    if actor.role not in VERIFIER_ROLES:
        raise Forbidden("只有管理员可以校验审计记录")
    return verify(db)


def verify(db: Session) -> Verification:
    """Walk every chain and every case's application; report the first mismatch."""
    last: dict[int, tuple[str, int]] = {}
    count = 0
    # closed on the first problem too: a server-side cursor left open blocks DDL and
    # holds a snapshot on PostgreSQL
    with db.execute(
            select(AuditEvent, HumanTask.data)
            .outerjoin(HumanTask, (HumanTask.id == AuditEvent.task_id)
                       & (AuditEvent.action == "task.completed"))
            .order_by(AuditEvent.id).execution_options(yield_per=2000)) as rows:
        for e, form in rows:
            chain = e.case_id or NO_CASE
            problem = _event_problem(e, form, last.get(chain, (GENESIS, 0))[0])
            if problem:
                return Verification(count, 0, "", problem, e.id)
            last[chain] = (e.hash, e.id)
            count += 1
    heads = {h.chain_id: h for h in db.scalars(select(AuditChain))}
    root = hashlib.sha256("".join(
        f"{c}:{h.last_hash};" for c, h in sorted(heads.items())).encode()).hexdigest()
    for chain in sorted(heads.keys() | last.keys()):
        problem = _head_problem(chain, heads.get(chain), last.get(chain))
        if problem:
            return Verification(count, 0, root, problem[0], problem[1])
    cases, problem = _verify_applications(db)
    if problem:
        return Verification(count, cases, root, problem[0], problem[1])
    return Verification(count, cases, root)


def _event_problem(e: AuditEvent, form: Any, previous: str) -> str | None:
    """Why an event breaks its chain or no longer matches the form its task keeps; None if
    it holds. `form` is the task's `data` for a `task.completed` event."""
    fields = fields_of(e)
    changes = e.changes if isinstance(e.changes, dict) else {}
    kept_once = e.action == "task.completed" and "data_sha256" in changes
    if kept_once and changes.get("hashed_with_data"):
        if not isinstance(form, dict) or changes != legacy_completed(form):
            return f"{_describe(e)}的办理记录与事项保存的提交数据不符：提交数据在办理后被修改"
        fields["changes"] = form
    if e.hash != event_hash(fields, previous):
        return (f"{_describe(e)}与哈希链不符：内容被修改，"
                f"或其前一条事件被删除、插入或调换")
    if kept_once and (form is None or data_digest(form) != changes["data_sha256"]):
        return f"{_describe(e)}记录的摘要与事项保存的提交数据不符：提交数据在办理后被修改"
    return None


def _head_problem(chain: int, head: AuditChain | None,
                  last: tuple[str, int] | None) -> tuple[str, int | None] | None:
    name = f"案件 {chain}" if chain else "无案件事件"
    if head is None:
        return f"{name}的审计链缺少链头记录（最后一条为审计事件 #{last[1]}）", last[1]
    if last is None or last[0] != head.last_hash:
        return (f"{name}的审计链在审计事件 #{head.last_event_id} 处中断："
                f"最后的事件被删除或替换", head.last_event_id)
    return None


def application_digest(application: dict[str, Any]) -> str:
    """The digest `case.opened` records of a case's application (kept once, on the case)."""
    text = json.dumps(application, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _verify_applications(db: Session) -> tuple[int, tuple[str, int | None] | None]:
    """Every case's stored application against the digest its `case.opened` event holds."""
    opened = {e.case_id: e for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.opened"))}
    count = 0
    for case_id, application in db.execute(
            select(Case.id, Case.application).order_by(Case.id)
            .execution_options(yield_per=2000)):
        event = opened.get(case_id)
        if event is None:
            return count, (f"案件 {case_id} 缺少受理（case.opened）审计事件", None)
        if application_digest(application) != _recorded_digest(event.changes or {}):
            return count, (f"案件 {case_id} 的申请材料与{_describe(event)}记录的摘要不符："
                           f"申请材料在受理后被修改", event.id)
        count += 1
    return count, None


def _recorded_digest(changes: dict[str, Any]) -> str | None:
    """The digest `case.opened` holds; entries written before digests held the application
    itself."""
    if "application_sha256" in changes:
        return changes["application_sha256"]
    if isinstance(changes.get("application"), dict):
        return application_digest(changes["application"])
    return None

"""A transaction's writes and its audit appends at commit, without the ORM's flush.

Why: a completion used to flush an UPDATE per changed row, an INSERT per new row, then lock
the audit chain head, insert the events and move the head, each through SQLAlchemy's unit of
work: on PostgreSQL six round trips, on SQLite a third of a completion's CPU.

On PostgreSQL the same rows are written by ONE `WITH ... SELECT` of data-modifying CTEs, the
audit chain included: the head is locked (`SELECT ... FOR UPDATE`) inside the statement, each
event's hash is computed by PostgreSQL as sha256(prefix || previous hash || suffix), where
prefix and suffix are the event's canonical JSON around "previous"
(engine.store.audit.hash_parts), and the head moves to the last event. The CTEs are read in
the order the ORM would write (updates, inserts, then the audit chain), so locks are taken in
the same order as before.

On SQLite (no data-modifying CTEs; a statement is a local call, not a round trip) the same
rows and events are written one statement each, in the same order, each compiled once and run
as SQL text (engine.store.precompiled). The first write takes the database's write lock, so
the heads read after it cannot move before the commit; the hashes are computed here.

Either way it writes exactly what the ORM flush would have (same columns, version checks,
defaults) and then tells the session the objects are clean. Anything it does not handle -
deletes, a new row pointing at another new row, composite keys, a new row whose key is not a
generated `id`, events of a new case, the watched tables of engine.store.cache, another
database - returns None and the ordinary flush runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError

from engine.store.cache import WATCHED
from engine.store.models import AuditChain, AuditEvent
from engine.store.precompiled import Precompiled, precompile

Pending = Sequence[tuple[AuditEvent, Any, Any]]  # (event, case, task) as engine.store.audit queues
HashParts = Callable[[dict[str, Any]], tuple[str, str]]
# Every stored column of an event but its id and hash (the hash covers audit.HASHED of them).
EVENT_COLUMNS = tuple(c.key for c in AuditEvent.__table__.columns if c.key not in ("id", "hash"))


class _Unsupported(Exception):
    """This transaction needs the ordinary flush."""


@dataclass(frozen=True)
class _Row:
    """One row to write: its table, the column values, and the version check."""

    kind: str  # "update" or "insert"
    obj: Any
    table: Table
    values: dict[str, Any]
    old_version: Any = None  # updates of versioned rows: WHERE version = old
    new_version: Any = None

    def shape(self) -> tuple:
        return (self.kind, self.table.name, tuple(self.values), self.old_version is not None)


# The case's instance row first (its version is the case's lock, as in the ORM's flush),
# then the other tables in dependency order.
_TABLE_ORDER = {t.name: i for i, t in enumerate(AuditEvent.metadata.sorted_tables)}
_TABLE_ORDER["process_instance"] = -1
# statement shape -> the statement compiled; shapes are few (a process's steps)
_statements: dict[tuple, Precompiled] = {}


def write_all(db: Session, pending: Pending, hash_parts: HashParts) -> Pending | None:
    """Write every pending change and audit event in one statement; None (nothing written)
    when the transaction has something this path does not handle, else the events left for
    the ordinary path: those of chains without a head yet (it creates heads)."""
    dialect = db.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite") or db.deleted:
        return None
    try:
        with db.no_autoflush:  # reading a related row's id must not flush the new ones
            new = sorted(db.new, key=lambda o: instance_state(o).insert_order)
            dirty = sorted(db.dirty, key=_lock_order)
            rows = [_update_of(o) for o in dirty] + [_insert_of(o) for o in new]
            events = [_event_of(e, case, task) for e, case, task in pending]
    except _Unsupported:
        return None
    rows = [r for r in rows if r is not None]
    if not rows and not events:
        return None
    chains = sorted({e["case_id"] or 0 for e in events})
    if dialect == "sqlite":
        return _write_each(db, rows, pending, events, chains, hash_parts)
    shape = (tuple(r.shape() for r in rows),
             tuple(chains.index(e["case_id"] or 0) for e in events), len(chains))
    connection = db.connection()
    stmt = _statements.get(shape)
    if stmt is None:
        stmt = _statements[shape] = precompile(_statement(rows, shape[1], len(chains)),
                                               connection.dialect)
    # the statement itself is the flush; compiled once, run as SQL text (no ORM execution
    # layer: it loads no objects, and Session.execute would cost it as much CPU again)
    result = stmt.run(connection, _params(rows, events, chains, hash_parts)).one()
    _apply(db, rows, result[:len(rows)])
    if not events:
        return []
    linked = set(result[len(rows)] or ())
    return [p for p, e in zip(pending, events, strict=True) if (e["case_id"] or 0) not in linked]


def _write_each(db: Session, rows: list[_Row], pending: Pending, events: list[dict[str, Any]],
                chains: list[int], hash_parts: HashParts) -> Pending:
    """SQLite: each row, then each event of a chain that has a head, then each head moved;
    the events of chains without a head are left to the ordinary path."""
    connection = db.connection()
    dialect = _named(type(connection.dialect))
    found = [_row_statement(row.shape(), _version_name(row), dialect)
             .run(connection, _row_params(row)) for row in rows]
    _apply(db, rows, [r.rowcount if row.kind == "update" else r.lastrowid
                      for row, r in zip(rows, found, strict=True)])
    if not events:
        return []
    if not rows:  # nothing written yet: a no-op write takes the lock before the heads are read
        for chain in chains:
            _head_statement("lock", dialect).run(connection, {"c": chain})
    last = {}
    for chain in chains:
        head = _head_statement("read", dialect).run(connection, {"c": chain}).first()
        if head is not None:  # raw bytes (HexDigest), or hex text in a row not yet converted
            last[chain] = (head[0] if isinstance(head[0], str) else bytes(head[0]).hex(), None)
    insert_event = _head_statement("event", dialect)
    for e in events:
        chain = e["case_id"] or 0
        if chain not in last:
            continue
        prefix, suffix = hash_parts(e)
        digest = hashlib.sha256((prefix + last[chain][0] + suffix).encode("utf-8")).hexdigest()
        params = {f"v_{name}": e[name] for name in EVENT_COLUMNS}
        event_id = insert_event.run(connection, {**params, "v_hash": digest}).lastrowid
        last[chain] = (digest, event_id)
    move = _head_statement("move", dialect)
    for chain, (digest, event_id) in last.items():
        move.run(connection, {"c": chain, "h": digest, "i": event_id})
    return [p for p, e in zip(pending, events, strict=True) if (e["case_id"] or 0) not in last]


@cache
def _named(dialect_class: type[Dialect]) -> Dialect:
    """The connection's dialect, compiling `:name` parameters (sqlite3 takes both styles)."""
    return dialect_class(paramstyle="named")


def _version_name(row: _Row) -> str | None:
    """The version column an update checks, if any."""
    return row.obj.__mapper__.version_id_col.name if row.old_version is not None else None


@cache
def _row_statement(shape: tuple, version_name: str | None, dialect: Dialect) -> Precompiled:
    """One row's UPDATE (by key, and version when versioned) or INSERT, by its shape."""
    kind, name, columns, _ = shape
    table = AuditEvent.metadata.tables[name]
    binds = {c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns}
    if kind == "insert":
        return precompile(insert(table).values(binds), dialect)
    key = _key(table)
    dml = update(table).where(key == bindparam("pk", type_=key.type))
    if version_name is not None:
        version = table.c[version_name]
        dml = dml.where(version == bindparam("old", type_=version.type))
    return precompile(dml.values(binds), dialect)


def _row_params(row: _Row) -> dict[str, Any]:
    params = {f"v_{c}": v for c, v in row.values.items()}
    if row.kind == "update":
        params["pk"] = instance_state(row.obj).identity[0]
        if row.old_version is not None:
            params["old"] = row.old_version
    return params


@cache
def _head_statement(what: str, dialect: Dialect) -> Precompiled:
    """The audit chain's statements on SQLite: lock a head, read it, insert an event, move it."""
    chain = AuditChain.chain_id == bindparam("c", type_=Integer())
    if what == "lock":
        statement = update(AuditChain).where(chain).values(last_hash=AuditChain.last_hash)
    elif what == "read":
        statement = select(AuditChain.last_hash).where(chain)
    elif what == "event":
        table = AuditEvent.__table__
        statement = insert(table).values(
            {c: bindparam(f"v_{c}", type_=table.c[c].type) for c in (*EVENT_COLUMNS, "hash")})
    else:
        statement = update(AuditChain).where(chain).values(
            last_hash=bindparam("h", type_=AuditChain.last_hash.type),
            last_event_id=bindparam("i", type_=Integer()))
    return precompile(statement, dialect)


def _statement(rows: list[_Row], event_chains: tuple[int, ...], chains: int):
    """SELECT over the CTEs, in write order: each row's count or id, the chains linked, the
    heads moved."""
    columns = []
    for i, row in enumerate(rows):
        table = row.table
        binds = {c: bindparam(f"w{i}_{c}", type_=table.c[c].type) for c in row.values}
        if row.kind == "update":
            key = _key(table)
            dml = update(table).where(key == bindparam(f"w{i}_pk", type_=key.type))
            if row.old_version is not None:
                version = row.obj.__mapper__.version_id_col
                dml = dml.where(version == bindparam(f"w{i}_old", type_=version.type))
            cte = dml.values(binds).returning(key).cte(f"w{i}")
            columns.append(select(func.count()).select_from(cte).scalar_subquery())
        else:  # a new row's key is a generated id (_insert_of)
            cte = insert(table).values(binds).returning(table.c.id).cte(f"w{i}")
            columns.append(select(cte.c.id).scalar_subquery())
    if event_chains:
        audit = _audit_ctes(event_chains, chains)
        columns.append(select(func.array_agg(audit[0].c.chain)).scalar_subquery())
        columns += [select(func.count()).select_from(c).scalar_subquery() for c in audit[1:]]
    return select(*columns)


def _params(rows: list[_Row], events: list[dict[str, Any]], chains: list[int],
            hash_parts: HashParts) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, row in enumerate(rows):
        params.update({f"w{i}_{c}": v for c, v in row.values.items()})
        if row.kind == "update":
            params[f"w{i}_pk"] = instance_state(row.obj).identity[0]
            if row.old_version is not None:
                params[f"w{i}_old"] = row.old_version
    for k, chain in enumerate(chains):
        params[f"c{k}"] = chain
    for j, e in enumerate(events):
        params.update({f"e{j}_{name}": e[name] for name in EVENT_COLUMNS})
        params[f"e{j}_p"], params[f"e{j}_s"] = hash_parts(e)
    return params


def _event_of(event: AuditEvent, case: Any, task: Any) -> dict[str, Any]:
    """An event's hashed fields, with the ids of its (already stored) case and task."""
    for owner in (case, task):
        if owner is not None and instance_state(owner).key is None:
            raise _Unsupported
    event.case_id = case.id if case is not None else None
    event.task_id = task.id if task is not None else None
    return {name: getattr(event, name) for name in EVENT_COLUMNS}


def _audit_ctes(event_chains: tuple[int, ...], chains: int) -> list[Any]:
    """Lock the heads, insert the linked events in chain order, move each head."""
    chain_ids = [bindparam(f"c{k}", type_=Integer()) for k in range(chains)]
    head = select(AuditChain.chain_id, AuditChain.last_hash) \
        .where(AuditChain.chain_id.in_(chain_ids)).order_by(AuditChain.chain_id) \
        .with_for_update().cte("head")
    table = AuditEvent.__table__
    selects, last = [], {}
    for j, k in enumerate(event_chains):
        previous = last.get(k, head.c.last_hash)  # raw bytes (HexDigest), hashed as hex text
        text = bindparam(f"e{j}_p", type_=String()) + func.encode(previous, "hex") \
            + bindparam(f"e{j}_s", type_=String())
        digest = func.sha256(func.convert_to(text, "UTF8"))
        last[k] = digest
        # cast: a NULL in a SELECT list is text to PostgreSQL, which a bytea column refuses
        values = [cast(bindparam(f"e{j}_{name}", type_=table.c[name].type),
                       table.c[name].type).label(name) for name in EVENT_COLUMNS]
        selects.append(select(*values, digest.label("hash")).where(
            head.c.chain_id == chain_ids[k]))
    rows = union_all(*selects).subquery("linked") if len(selects) > 1 else selects[0].subquery()
    inserted = insert(AuditEvent).from_select(
        [*EVENT_COLUMNS, "hash"], select(*[rows.c[n] for n in (*EVENT_COLUMNS, "hash")])
    ).returning(AuditEvent.id, AuditEvent.hash, func.coalesce(AuditEvent.case_id, 0)
                .label("chain")).cte("ev")
    ctes = [inserted]
    for k, chain in enumerate(chain_ids):  # CTE names by position: one cached shape
        newest = select(inserted.c.id, inserted.c.hash).where(inserted.c.chain == chain) \
            .order_by(inserted.c.id.desc()).limit(1).subquery()
        ctes.append(update(AuditChain).where(AuditChain.chain_id == chain).values(
            last_hash=select(newest.c.hash).scalar_subquery(),
            last_event_id=select(newest.c.id).scalar_subquery(),
        ).returning(AuditChain.chain_id).cte(f"head{k}"))
    return ctes


def _lock_order(obj: Any) -> tuple[int, Any]:
    """Rows are updated (and locked) in one order in every transaction - tables in the
    metadata's dependency order, then ids - so two writers of one case cannot deadlock."""
    table = instance_state(obj).mapper.local_table
    return _TABLE_ORDER.get(table.name, len(_TABLE_ORDER)), instance_state(obj).identity


def _key(table: Table) -> Column:
    """The table's one key column: `id`, or a row's own key (process_instance: its case)."""
    [key] = table.primary_key.columns
    return key


def _mapper_ok(obj: Any):
    state = instance_state(obj)
    mapper = state.mapper
    if type(obj) in WATCHED or len(mapper.primary_key) != 1:
        raise _Unsupported
    return state, mapper


def _foreign_keys(state, mapper) -> dict[str, Any]:
    """Column values implied by many-to-one relationships set on the object."""
    values: dict[str, Any] = {}
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or rel.key not in state.dict:
            continue
        if state.key is not None and not state.attrs[rel.key].history.added:
            continue
        target = state.dict[rel.key]
        for local, remote in rel.local_remote_pairs:
            if target is None:
                values[local.key] = None
                continue
            if instance_state(target).key is None:
                raise _Unsupported  # a new row pointing at another new row
            values[local.key] = getattr(target, remote.key)
    return values


def _update_of(obj: Any) -> _Row | None:
    """The changed columns of a stored row; None when only collections changed."""
    state, mapper = _mapper_ok(obj)
    values = {key: state.dict[key] for key, old in state.committed_state.items()
              if key in mapper.column_attrs and key in state.dict and state.dict[key] != old}
    values.update(_foreign_keys(state, mapper))
    table = mapper.local_table
    values = {mapper.get_property(k).columns[0].key: v for k, v in values.items()}
    if not values:
        return None
    version_col = mapper.version_id_col
    if version_col is None:
        return _Row("update", obj, table, dict(sorted(values.items())))
    old = state.committed_state.get(version_col.key, state.dict.get(version_col.key))
    new = values[version_col.key] = mapper.version_id_generator(old)
    return _Row("update", obj, table, dict(sorted(values.items())), old, new)


def _insert_of(obj: Any) -> _Row:
    """Every column of a new row (scalar defaults applied), its id left to the sequence."""
    state, mapper = _mapper_ok(obj)
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not isinstance(column, Column):
            continue  # a query_expression: loaded by a query, never stored
        if prop.key in state.dict:
            values[column.key] = state.dict[prop.key]
        elif column.default is not None and column.default.is_scalar:
            values[column.key] = state.dict[prop.key] = column.default.arg
        elif column.default is not None:
            raise _Unsupported  # callable defaults: the ordinary flush runs them
    values.update(_foreign_keys(state, mapper))
    if mapper.primary_key[0].key != "id" or values.pop("id", None) is not None:
        raise _Unsupported  # a key of the row's own: the ordinary flush writes it
    version = None
    if mapper.version_id_col is not None:
        version = values[mapper.version_id_col.key] = mapper.version_id_generator(None)
    return _Row("insert", obj, mapper.local_table, dict(sorted(values.items())), None, version)


def _apply(db: Session, rows: list[_Row], found: Sequence[Any]) -> None:
    """Check the version matches and mark every object as stored and clean."""
    for row, value in zip(rows, found, strict=True):
        if row.kind == "update" and value != 1:
            raise StaleDataError(f"{type(row.obj).__name__} changed by someone else")
        state = instance_state(row.obj)
        for column, fk in _foreign_keys(state, state.mapper).items():
            state.dict[column] = fk
        if row.new_version is not None:
            state.dict[state.mapper.version_id_col.key] = row.new_version
        if row.kind == "update":  # as the flush leaves a stored row: clean, same identity
            state._commit_all(state.dict, db.identity_map)
            continue
        state.dict["id"] = value
        db.expunge(row.obj)
        make_transient(row.obj)
        make_transient_to_detached(row.obj)
        db.add(row.obj)

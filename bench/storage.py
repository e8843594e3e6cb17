"""Bytes per running case, on disk with indexes and as payload (issue 16 target: <= 5 KB).

Creates --cases running cases spread evenly over the eight waiting points of the Linzi
procedure (village_evaluation, its notice, township_review, its notice, district_crosscheck,
third_party_verification, district_approval, the district notice), through the engine's
services and timers.run_pass. Then reports, per case and per table: the row payloads
(process_instance.state bytes; case_file.application, human_task.data and
audit_event.changes as the JSON text the database keeps); on PostgreSQL
pg_total_relation_size (table + indexes + TOAST) as the run left it, after a plain
VACUUM (ANALYZE) (what a steady autovacuum leaves) and after VACUUM (FULL), and
pg_column_size of the payloads; on SQLite the dbstat page sizes of each
table and its indexes, as left and after VACUUM, and the whole file's size after VACUUM.

    .venv/bin/python bench/storage.py [--cases 1000] [--database-url URL]

The target figure is what the cases add: the bytes on disk minus the installation's fixed
costs, over the running cases. Fixed: the pages the empty schema already took before the first
case (about 8 KB per table and index on PostgreSQL, 4 KB on SQLite), and on PostgreSQL each
table's free-space and visibility maps, which its first VACUUM creates at 24 KB and 8 KB and
which grow by one page per 32 MB and 256 MB of table (0.03 %; 256 B of a case at 1,000 cases,
3 B at a county's 100,000). The whole size over the cases is printed beside it, without a
target, and the maps apart.
"""

from __future__ import annotations

import os
from datetime import timedelta

from common import (
    T0,
    Figure,
    arg_parser,
    at_most,
    database_label,
    describe_db,
    guarded,
    load,
    make_app,
    open_task,
    print_table,
    record,
    start_cases,
    users,
)
from sqlalchemy import JSON, Column, LargeBinary, Text, func, select, text

from engine.casework import tasks, timers
from engine.store.models import Base, Case, PackedJSON
from tests.factories import WORKER, valid_step_data
from web.extensions import db as flask_db

# The path of an approved case: ("task", step) is completed with approve, ("notice", step) passes.
PATH = [("task", "village_evaluation"), ("notice", "village_notice"),
        ("task", "township_review"), ("notice", "township_notice"),
        ("task", "district_crosscheck"), ("task", "third_party_verification"),
        ("task", "district_approval"), ("notice", "district_notice")]
# Every table that grows with cases: case_file, household (one per applicant household here),
# audit_chain (one head row per case, keyed by chain_id = the case's id) and whatever has a
# case_id column.
TABLES = ["case_file", "audit_chain",
          *(["household"] if "household" in Base.metadata.tables else [])] + [
    t.name for t in Base.metadata.sorted_tables if "case_id" in t.c]
LIMIT = 5_000  # 5 KB; the figures also show the margin to 5 KiB


def spread_cases(db, count: int, dialect: str) -> dict[int, str]:
    """{case id: the point of PATH it waits at}, `count` cases spread over PATH.

    A case meant to wait in a notice completes the task before it only after the last timer
    pass, so that no pass fires its notice. Between two points (days apart in a county) a
    PostgreSQL database has been vacuumed many times by autovacuum, which a run of a minute
    never sees: a plain VACUUM stands in for it there, so that the next round's updates reuse
    the room the last round's old row versions left, as they would.
    """
    people = users(db)
    ids = start_cases(db, count, T0)
    target = {case_id: i % len(PATH) for i, case_id in enumerate(ids)}
    now = T0

    def complete(case_id: int) -> None:
        task = open_task(db, case_id)
        tasks.complete(db, people[WORKER[task.step]], task.id, valid_step_data(task.form_key),
                       now=now)

    for point, (kind, _) in enumerate(PATH):
        if dialect == "postgresql" and point:
            vacuum(db, dialect, full=False)
        now += timedelta(hours=2)
        if kind == "notice":
            now += timedelta(days=8)
            timers.run_pass(db, now)
            continue
        for case_id, goal in target.items():
            stop = goal - 1 if PATH[goal][0] == "notice" else goal
            if point < stop:
                complete(case_id)
    now += timedelta(hours=2)
    for case_id, goal in target.items():
        if PATH[goal][0] == "notice":
            complete(case_id)
    return {case_id: PATH[goal][1] for case_id, goal in target.items()}


def _length(dialect: str, column: Column) -> str:
    """SQL for the stored bytes of a payload column (JSON as the text the database keeps)."""
    name = column.name
    if isinstance(column.type, LargeBinary | PackedJSON):
        return f"coalesce(length({name}), 0)" if dialect == "sqlite" else \
            f"coalesce(octet_length({name}), 0)"
    if dialect == "sqlite":
        return f"coalesce(length(CAST({name} AS BLOB)), 0)"
    return f"coalesce(octet_length({name}::text), 0)"


def payload_columns(table: str) -> list[Column]:
    """The variable-size payload columns of a table: JSON (packed or not), binary and text."""
    return [c for c in Base.metadata.tables[table].columns
            if isinstance(c.type, JSON | LargeBinary | Text | PackedJSON)]


def payloads(db, dialect: str, how: str = "stored") -> dict[str, int]:
    """Bytes of the payload columns per table: as stored, or by pg_column_size."""
    out = {}
    for table in TABLES:
        parts = [_length(dialect, c) if how == "stored" else
                 f"coalesce(pg_column_size({c.name}), 0)" for c in payload_columns(table)]
        out[table] = int(db.scalar(text(
            f"SELECT coalesce(sum({' + '.join(parts or ['0'])}), 0) FROM {table}")))
    return out


def details(db, dialect: str, where: dict[int, str]) -> None:
    """Where the bytes go: state size by waiting point, audit payload by action."""
    state = Base.metadata.tables["process_instance"].c.state
    rows = db.execute(text(f"SELECT case_id, {_length(dialect, state)} FROM process_instance"))
    by_point: dict[str, list[int]] = {}
    for case_id, size in rows:
        by_point.setdefault(where[case_id], []).append(size)
    print_table("process_instance.state by waiting point", ["waiting at", "avg state bytes"],
                [[p, sum(by_point[p]) / len(by_point[p])] for _, p in PATH if p in by_point])
    changes = Base.metadata.tables["audit_event"].c.changes
    print_table("audit_event payload by action", ["action", "events", "changes bytes"],
                db.execute(text(f"SELECT action, count(*), sum({_length(dialect, changes)}) "
                                "FROM audit_event GROUP BY action ORDER BY 3 DESC")).all())


# A table's and its TOAST table's free-space and visibility maps (PostgreSQL).
_MAPS = ("SELECT coalesce(sum(pg_relation_size(c.oid, fork)), 0) FROM pg_class c, "
         "unnest(ARRAY['fsm', 'vm']) fork WHERE c.oid = CAST(:t AS regclass) "
         "OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = CAST(:t AS regclass))")


def relation_sizes(db, dialect: str) -> tuple[str, dict[str, int]] | None:
    """Bytes on disk per table (with indexes and TOAST), or None where not measurable."""
    if dialect == "postgresql":
        return "pg_total_relation_size", {t: db.scalar(text(
            f"SELECT pg_total_relation_size('{t}')")) for t in TABLES}
    try:
        rows = db.execute(text("SELECT tbl_name, name FROM sqlite_master "
                               "WHERE type IN ('table', 'index')")).all()
        pages = dict(db.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all())
    except Exception:  # noqa: BLE001 - dbstat is a compile-time option of SQLite
        return None
    sizes = {t: 0 for t in TABLES}
    for table, name in rows:
        if table in sizes:
            sizes[table] += pages.get(name, 0)
    return "dbstat (tables + indexes)", sizes


def map_bytes(db, dialect: str) -> int:
    """The free-space and visibility maps of every counted table: a fixed cost (docstring)."""
    if dialect != "postgresql":
        return 0
    return sum(int(db.scalar(text(_MAPS), {"t": t})) for t in TABLES)


def report(title: str, sizes: dict[str, int], count: int, rows: dict[str, int]) -> float:
    """Print a per-table table; return the bytes per case."""
    total = sum(sizes.values())
    print_table(title, ["table", "rows", "bytes", "bytes per case"],
                [[t, rows[t], sizes[t], sizes[t] / count] for t in TABLES if sizes[t]] +
                [["total", sum(rows.values()), total, total / count]])
    return total / count


def vacuum(db, dialect: str, full: bool = True) -> None:
    """VACUUM (FULL) on PostgreSQL, or a plain VACUUM (ANALYZE) as autovacuum would run it;
    VACUUM and a WAL checkpoint on SQLite."""
    db.commit()
    with db.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if dialect == "postgresql":
            conn.execute(text(f"VACUUM ({'FULL, ' if full else ''}ANALYZE) {', '.join(TABLES)}"))
        else:
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def sqlite_file_bytes(db) -> int:
    """The SQLite file's size (every table, the deployed bundle and the org tree included)."""
    path = db.get_bind().url.database
    return os.path.getsize(path)


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    with app.app_context():
        db = flask_db.session
        dialect = db.get_bind().dialect.name
        empty = relation_sizes(db, dialect)  # the pages an empty schema already takes
        empty_bytes = sum(empty[1].values()) if empty else 0
        at = load()
        where = spread_cases(db, args.cases, dialect)
        db.commit()
        count = db.scalar(select(func.count()).select_from(Case).where(Case.status == "running"))
        print(f"Bytes per running case; {describe_db(app)}; {count} running cases "
              f"of {len(where)} (built: load {at:.2f} -> {load():.2f})")
        spread = {step: list(where.values()).count(step) for _, step in PATH}
        print("  waiting at: " + ", ".join(f"{s} {n}" for s, n in spread.items()))
        rows = {t: db.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}
        note = f"{count} running cases over 8 waiting points"

        def figure(name: str, per_case: float, target: bool = True) -> None:
            record(Figure(name, label, per_case, "B per running case",
                          f"<= {LIMIT:,} B" if target else "",
                          at_most(per_case, LIMIT) if target else None, at, load(), note))

        def on_disk(name: str, title: str, sizes: dict[str, int]) -> None:
            """Two figures: what each case adds beyond the fixed costs (the target), and the
            whole size over the cases (the empty tables' first pages and the maps included)."""
            whole = report(title, sizes, count, rows)
            maps = map_bytes(db, dialect)
            if maps:
                print(f"  free-space and visibility maps (fixed): {maps:,} B, "
                      f"{maps / count:,.0f} B per case at {count} cases")
            figure(name, whole - (empty_bytes + maps) / count)
            figure(name.replace("tables + indexes", "including the fixed costs", 1),
                   whole, target=False)

        at = load()
        figure("payload bytes (JSON/binary/text columns as stored)",
               report("Row payloads as stored (JSON/binary/text columns)",
                      payloads(db, dialect), count, rows), target=False)
        if dialect == "postgresql":
            report("pg_column_size of the same payloads", payloads(db, dialect, "pg"), count,
                   rows)
        details(db, dialect, where)
        at = load()
        measured = relation_sizes(db, dialect)
        if measured is None:
            print("\n(dbstat is not available in this SQLite build: no per-table disk sizes)")
        else:
            on_disk(f"on disk, tables + indexes, as left by the run ({measured[0]})",
                    f"On disk: {measured[0]}, as left by the run", measured[1])
        if dialect == "postgresql":
            at = load()
            vacuum(db, dialect, full=False)
            measured = relation_sizes(db, dialect)
            on_disk("on disk, tables + indexes, after a plain VACUUM (ANALYZE) (steady autovacuum)",
                    "On disk: pg_total_relation_size, after VACUUM (ANALYZE), not FULL",
                    measured[1])
        at = load()
        vacuum(db, dialect)
        measured = relation_sizes(db, dialect)
        how = "VACUUM (FULL)" if dialect == "postgresql" else "VACUUM"
        if measured is not None:
            on_disk(f"on disk, tables + indexes, after {how} ({measured[0]})",
                    f"On disk: {measured[0]}, after {how}", measured[1])
        if dialect == "sqlite":
            figure("SQLite file size after VACUUM, whole database / running cases",
                   sqlite_file_bytes(db) / count, target=False)
        flask_db.session.remove()


if __name__ == "__main__":
    guarded(main)

"""The inbox with 100,000 open tasks in the database: time per inbox page and its query plan.

Target (issue: officials' workspace): the inbox "stays fast with 100,000 open tasks". The
tasks are spread over 1,000 villages of 50 townships, plus township-level tasks; one case
row each. Then the inbox page and the per-step counts are timed for a village and a
township official, through the engine (the same calls the inbox page makes), and the plan of
the inbox query is printed (PostgreSQL: EXPLAIN ANALYZE; SQLite: EXPLAIN QUERY PLAN).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from common import arg_parser, describe_db, guarded, make_app, median, verdict
from sqlalchemy import insert, select, text

from engine import accounts, tasks
from engine.models import Case, HumanTask, OrgUnit, ProcedureVersion
from web.extensions import db as flask_db

TOTAL = 100_000
TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 50, 20


def build(session) -> None:
    """Org tree, cases and open tasks in bulk (not through the workflow: only the rows count)."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.code == "D1"))
    version = session.scalar(select(ProcedureVersion.id).limit(1))
    orgs = []
    for t in range(TOWNSHIPS):
        orgs.append({"code": f"BT{t}", "name": f"镇{t}", "level": "township",
                     "parent_id": district.id, "path": f"{district.path}BT{t}/"})
    session.execute(insert(OrgUnit), orgs)
    towns = {o.code: o for o in session.scalars(select(OrgUnit).where(OrgUnit.code.like("BT%")))}
    villages = []
    for t in range(TOWNSHIPS):
        town = towns[f"BT{t}"]
        for v in range(VILLAGES_PER_TOWNSHIP):
            villages.append({"code": f"BV{t}_{v}", "name": f"村{t}-{v}", "level": "village",
                             "parent_id": town.id, "path": f"{town.path}BV{t}_{v}/"})
    session.execute(insert(OrgUnit), villages)
    village_rows = list(session.scalars(select(OrgUnit).where(OrgUnit.code.like("BV%"))))
    now = datetime.now(UTC)
    batch = 5000
    for start in range(0, TOTAL, batch):
        case_rows = []
        for i in range(start, start + batch):
            village = village_rows[i % len(village_rows)]
            case_rows.append({"procedure_version_id": version, "village_id": village.id,
                              "org_path": village.path, "status": "running",
                              "applicant_name": f"户{i}", "household_size": 3,
                              "application": {}, "opened_at": now})
        ids = session.execute(insert(Case).returning(Case.id), case_rows).scalars().all()
        task_rows = []
        for n, case_id in enumerate(ids):
            i = start + n
            village = village_rows[i % len(village_rows)]
            township = i % 5 == 0
            task_rows.append({
                "case_id": case_id, "workflow_task_id": f"bench-{i}",
                "step": "township_review" if township else "village_evaluation",
                "name": "镇（街道）审核确认" if township else "村级评议推荐",
                "form_key": "township_review" if township else "village_evaluation",
                "level": "township" if township else "village",
                "org_id": village.parent_id if township else village.id,
                "created_at": now, "due_at": now + timedelta(days=(i % 30) - 10),
                "version": 1})
        session.execute(insert(HumanTask), task_rows)
    session.commit()


def main() -> None:
    args = arg_parser(__doc__.splitlines()[0]).parse_args()
    app = make_app(args.database_url)
    print(f"Inbox with {TOTAL:,} open tasks; {describe_db(app)}")
    with app.app_context():
        session = flask_db.session
        started = time.perf_counter()
        build(session)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        accounts.add_user(session, "bv_official", "village", "BV7_3", "bench-pass-1")
        accounts.add_user(session, "bt_official", "township", "BT7", "bench-pass-1")
        for username in ("bv_official", "bt_official"):
            user = accounts.by_username(session, username)
            timings = []
            for _ in range(20):
                t0 = time.perf_counter()
                page = tasks.inbox(session, user, limit=50)
                tasks.inbox_counts(session, user)
                tasks.inbox(session, user, limit=50, overdue=True)
                timings.append((time.perf_counter() - t0) * 1000)
                session.rollback()
            ms = median(timings)
            print(f"  {username}: {len(page)} tasks on the first page; inbox page + counts + "
                  f"overdue filter median {ms:.1f} ms (target <= 50 ms): {verdict(ms <= 50)}")
        user = accounts.by_username(session, "bt_official")
        query = tasks.inbox_query(user).order_by(HumanTask.due_at).limit(50)
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        dialect = session.get_bind().dialect.name
        explain = "EXPLAIN ANALYZE " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
        print("  plan of the township inbox query:")
        for row in session.execute(text(explain + sql)):
            print("   ", " ".join(str(c) for c in row))


if __name__ == "__main__":
    guarded(main)

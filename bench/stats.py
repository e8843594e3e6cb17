"""The monthly statistics (统计月报) of a district with many enrolled households.

Households with a benefit in force (one approved case and one `approval` benefit row each,
inserted in bulk over 1,000 villages, with a category and an area in their facts), a tenth of
them exited this month, and one step per tenth household open or completed in the month; then
`engine.money.monthly.build` for district D1, --samples times. Issue 14 sets no target for
statistics; the figure is reported beside the payroll's 10 s for scale.

    .venv/bin/python bench/stats.py [--households 100000] [--samples 3] [--database-url URL]
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta

from common import (
    Figure,
    arg_parser,
    database_label,
    guarded,
    load,
    make_app,
    record,
    villages_under_d1,
)
from sqlalchemy import insert, select

from engine.money import monthly
from engine.store.models import Benefit, Case, HumanTask, ProcedureVersion
from web.extensions import db as flask_db

BATCH = 5000
NOW = datetime(2026, 11, 30, 4, tzinfo=UTC)
CATEGORIES = ("dibao", "poverty", "both")


def build(session, n: int) -> None:
    district, villages = villages_under_d1(session, "S")
    version = session.scalar(select(ProcedureVersion.id).limit(1))
    opened = NOW - timedelta(days=200)
    for start in range(0, n, BATCH):
        span = range(start, min(start + BATCH, n))
        ids = session.execute(insert(Case).returning(Case.id), [
            {"procedure_version_id": version, "village_id": villages[i % len(villages)].id,
             "org_path": villages[i % len(villages)].path, "status": "approved",
             "applicant_name": f"户{i}", "household_size": 1 + i % 5, "application": {},
             "opened_at": opened, "closed_at": opened} for i in span]).scalars().all()
        rows, ends, steps = [], [], []
        for i, case_id in zip(span, ids, strict=True):
            rows.append({"case_id": case_id, "monthly_amount": 100 + i % 400,
                         "household_size": 1 + i % 5, "effective_from": date(2026, 5, 1),
                         "source": "approval", "created_at": opened,
                         "facts": {"category": CATEGORIES[i % 3],
                                   "area": "town" if i % 2 else "village"}})
            if i % 10 == 0:
                ends.append({**rows[-1], "monthly_amount": 0, "source": f"exit:{case_id}",
                             "effective_from": date(2026, 11, 5)})
                steps.append({"case_id": case_id, "workflow_task_id": str(uuid.UUID(int=i)),
                              "step": "district_approval", "name": "区县审批",
                              "own_form_key": "", "level": "district",
                              "org_id": district.id, "created_at": NOW - timedelta(days=20),
                              "completed_at": NOW - timedelta(days=i % 15) if i % 20 else None,
                              "due_at": NOW - timedelta(days=5), "version": 1})
        session.execute(insert(Benefit), rows + ends)
        session.execute(insert(HumanTask), steps)
    session.commit()


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    with app.app_context():
        session = flask_db.session
        build(session, args.households)
        district = session.scalar(select(Case.org_path).limit(1))  # warm the connection
        from engine.people.orgs import by_code

        region = by_code(session, "D1")
        start_load, times = load(), []
        for _ in range(args.samples):
            t0 = time.perf_counter()
            found = monthly.build(session, region, "2026-11", date(2026, 11, 30), NOW)
            times.append(time.perf_counter() - t0)
        assert district and found.whole.households == args.households - args.households // 10
        record(Figure("statistics month, district", label, min(times), "s",
                      load_start=start_load, load_end=load(),
                      note=f"{args.households:,} households, best of {args.samples}"))


if __name__ == "__main__":
    guarded(main)

"""The yearly review (年度复核) of 100,000 enrolled households, started by two workers.

Issue 16 point 5: "the yearly review of 100,000 enrolled households is started in <= 2
minutes, all cases open and correct, with several workers sharing the job". The households are
inserted in bulk (a household, an approved Linzi identification case with a valid application,
a benefit row each), spread over 1,000 villages of 50 townships of district D1. Then the
district official queues the review (`reviews.start_yearly`) and two `yimen worker` processes
share it chunk by chunk (engine/store/chunks.py); the figure is the time from the queueing to
the job's end. Afterwards every household must have one running review case with its first
task open at its village and its case.opened audit entry (tests/engine/test_bulk_review.py
checks the rest of what the one-by-one path writes, and the audit chain, at 1,000).

    .venv/bin/python bench/yearly_review.py [--households 100000] [--database-url URL]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from common import (
    ROOT,
    BenchError,
    Figure,
    application,
    arg_parser,
    at_most,
    database_label,
    describe_db,
    guarded,
    load,
    make_app,
    record,
    villages_under_d1,
)
from sqlalchemy import func, insert, select, text

from engine.casework import reviews
from engine.people import accounts
from engine.store.models import (
    AuditEvent,
    Benefit,
    Case,
    Household,
    HumanTask,
    Job,
    ProcedureVersion,
)
from engine.time import clock
from engine.workflow import procedures
from web.extensions import db as flask_db

TARGET_HOUSEHOLDS, MAX_SECONDS = 100_000, 120.0
WORKERS = 2
BATCH = 5000
NOW = datetime(2026, 6, 1, 2, tzinfo=UTC)
EARLIER = datetime(2025, 6, 2, 2, tzinfo=UTC)


def build(session, total: int) -> None:
    """`total` enrolled households, in bulk."""
    _district, villages = villages_under_d1(session, "Y")
    version = procedures.newest_in_region(session, "linzi_identification", "D1")
    region = version.region.path
    for start in range(0, total, BATCH):
        span = range(start, min(start + BATCH, total))
        where = [villages[i % len(villages)] for i in span]
        apps = [application() for _ in span]
        homes = session.execute(insert(Household).returning(
            Household.id, sort_by_parameter_order=True), [
            {"region_path": region, "org_path": v.path, "head_id_number": a["head_id_number"],
             "head_name": a["head_name"], "created_at": EARLIER}
            for a, v in zip(apps, where, strict=True)]).scalars().all()
        cases = session.execute(insert(Case).returning(Case.id, sort_by_parameter_order=True), [
            {"procedure_version_id": version.id, "village_id": v.id, "org_path": v.path,
             "status": "approved", "applicant_name": a["head_name"],
             "household_size": len(a["members"]), "application": a, "opened_at": EARLIER,
             "closed_at": EARLIER, "household_id": h}
            for a, v, h in zip(apps, where, homes, strict=True)]).scalars().all()
        session.execute(insert(Benefit), [
            {"case_id": c, "monthly_amount": Decimal("420.00"), "household_size": 3,
             "effective_from": date(2025, 7, 1), "source": "approval", "created_at": EARLIER}
            for c in cases])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("household", "case_file", "benefit", "org_unit"):
            session.execute(text(f"ANALYZE {table}"))
        session.commit()


def start_workers(url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "YIMEN_SECRET_KEY": "bench"}
    return [subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "worker",
         "--now", NOW.isoformat(), "--interval", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(WORKERS)]


def wait_for(session, job_id: int, limit: float) -> float:
    """Seconds until the job is done (polled), or BenchError past `limit`."""
    t0 = time.perf_counter()
    while True:
        session.rollback()
        status = session.scalar(select(Job.status).where(Job.id == job_id))
        if status == "done":
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > limit:
            raise BenchError(f"job {job_id} not done after {limit:.0f} s")
        time.sleep(0.2)


def check(session, households: int) -> str:
    """Every household has one running review case with one open task at its village."""
    review = select(ProcedureVersion.id).where(ProcedureVersion.key == "linzi_review")
    opened = session.scalar(select(func.count()).select_from(Case).where(
        Case.procedure_version_id.in_(review), Case.status == "running"))
    tasks = session.scalar(select(func.count()).select_from(HumanTask).join(
        Case, Case.id == HumanTask.case_id).where(
        Case.procedure_version_id.in_(review), HumanTask.completed_at.is_(None),
        HumanTask.org_id == Case.village_id))
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.opened", AuditEvent.case_id.in_(
            select(Case.id).where(Case.procedure_version_id.in_(review)))))
    if not opened == tasks == events == households:
        raise BenchError(f"expected {households:,} review cases, open tasks and case.opened "
                         f"entries; found {opened:,}, {tasks:,} and {events:,}")
    return f"{opened:,} review cases running, each with its village task open"


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=TARGET_HOUSEHOLDS)
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    size = f"{args.households:,} households (issue 16 size: {TARGET_HOUSEHOLDS:,})"
    print(f"The yearly review; {describe_db(app)}; {size}; {WORKERS} workers", flush=True)
    note = size + ("; a PASS here is not yet a PASS at issue 16's size"
                   if args.households < TARGET_HOUSEHOLDS else "")
    with app.app_context(), clock.starting_at(NOW):
        session = flask_db.session
        at = load()
        t0 = time.perf_counter()
        build(session, args.households)
        print(f"  built in {time.perf_counter() - t0:.1f} s (load {at:.2f} -> {load():.2f})",
              flush=True)
        official = accounts.by_username(session, "dist")
        workers = start_workers(url)
        try:
            time.sleep(3)  # the workers' start-up (imports, app) is not the review's time
            at = load()
            t0 = time.perf_counter()
            job = reviews.start_yearly(session, official, "D1", now=NOW)
            wait_for(session, job.id, 20 * MAX_SECONDS)
            seconds = time.perf_counter() - t0
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
        print(f"  {check(session, args.households)}", flush=True)
        record(Figure(f"yearly review of {TARGET_HOUSEHOLDS:,} households started", label,
                      seconds / 60, "min", f"<= {MAX_SECONDS / 60:.0f} min",
                      at_most(seconds, MAX_SECONDS), at, load(),
                      note + f"; {args.households / seconds:,.0f} households/s"))
        session.remove()


if __name__ == "__main__":
    guarded(main)

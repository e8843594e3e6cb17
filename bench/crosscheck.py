"""Cross-check matching at scale: a bureau's list against every enrolled household.

Issue 14 point 7: with 100,000 enrolled households and a 100,000-row bureau list, matching
finishes in under 60 s on this machine. The households are inserted in bulk (not through the
workflow: only the rows count): one approved case per household, with its household row, a
benefit row and three members indexed by ID number, over 1,000 villages of 50 townships of
district D1. The list is a CSV of valid ID numbers, `--hit-share` of them members of enrolled
households (the head, the spouse or the child, in turn) and the rest strangers. Timed through
the engine (`engine.data.crosscheck`), as `yimen crosscheck import` runs it:
- reading and checking every row, storing the list (`import_list`);
- matching every row against every member, in batches recorded on the job (`match`);
and their sum, against the target. The hit count is checked against the number planted.

    .venv/bin/python bench/crosscheck.py [--households 100000] [--rows 100000] [--database-url URL]
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from common import (
    BenchError,
    Figure,
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
from sqlalchemy import insert, select, text

from engine.data import crosscheck
from engine.store.models import (
    Benefit,
    Case,
    CaseMember,
    Household,
    OrgUnit,
    ProcedureVersion,
)
from forms.idcard import check_char
from web.extensions import db as flask_db

TARGET_HOUSEHOLDS, TARGET_ROWS, MAX_SECONDS = 100_000, 100_000, 60.0
BATCH = 5000
NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)


def id_number(n: int, first_birth: date) -> str:
    """The n-th of a run of valid ID numbers: a thousand per birth day from `first_birth`."""
    first17 = f"370305{first_birth + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + check_char(first17)


MEMBERS_FROM, STRANGERS_FROM = date(1940, 1, 1), date(1990, 1, 1)

def build(session, households: int) -> None:
    """`households` enrolled households: household, approved case, benefit, three members."""
    _district, villages = villages_under_d1(session, "C")
    version = session.scalar(select(ProcedureVersion.id).limit(1))
    region = session.scalar(select(OrgUnit.path).where(OrgUnit.code == "D1"))
    for start in range(0, households, BATCH):
        span = range(start, min(start + BATCH, households))
        heads = {i: id_number(3 * i, MEMBERS_FROM) for i in span}
        house_ids = session.execute(insert(Household).returning(Household.id), [
            {"region_path": region, "org_path": villages[i % len(villages)].path,
             "head_id_number": heads[i], "head_name": f"户主{i}", "created_at": NOW}
            for i in span]).scalars().all()
        case_ids = session.execute(insert(Case).returning(Case.id), [
            {"procedure_version_id": version, "village_id": villages[i % len(villages)].id,
             "org_path": villages[i % len(villages)].path, "status": "approved",
             "applicant_name": f"户主{i}", "household_size": 3,
             "application": {"head_id_number": heads[i]}, "opened_at": NOW,
             "closed_at": NOW, "household_id": house_id}
            for i, house_id in zip(span, house_ids, strict=True)]).scalars().all()
        session.execute(insert(Benefit), [
            {"case_id": case_id, "monthly_amount": 350, "household_size": 3,
             "effective_from": date(2026, 1, 1), "source": "approval", "created_at": NOW}
            for case_id in case_ids])
        session.execute(insert(CaseMember), [
            {"case_id": case_id, "seq": k, "id_number": id_number(3 * i + k, MEMBERS_FROM),
             "name": f"成员{i}-{k}", "relation": ("self", "spouse", "child")[k]}
            for i, case_id in zip(span, case_ids, strict=True) for k in range(3)])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("case_file", "case_member", "benefit", "household", "org_unit"):
            session.execute(text(f"ANALYZE {table}"))
        session.commit()


def bureau_list(households: int, rows: int, share: float) -> tuple[bytes, int]:
    """The list as CSV and the number of rows naming a member of an enrolled household."""
    hits = min(int(rows * share), households)
    step = max(households // max(hits, 1), 1)
    lines = ["id_number,name,finding,as_of"]
    for n in range(hits):  # the head, the spouse or the child of every step-th household
        member = id_number(3 * (n * step) + n % 3, MEMBERS_FROM)
        lines.append(f"{member},成员,领取养老金,2026-02-28")
    for n in range(rows - hits):
        lines.append(f"{id_number(n, STRANGERS_FROM)},他人,领取养老金,2026-02-28")
    return ("\n".join(lines) + "\n").encode("utf-8"), hits


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=TARGET_HOUSEHOLDS)
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="rows of the list")
    parser.add_argument("--hit-share", type=float, default=0.1,
                        help="share of the rows that name a member (default 0.1)")
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    size = (f"{args.households:,} enrolled households x {args.rows:,}-row list"
            f" (issue 14 size: {TARGET_HOUSEHOLDS:,} x {TARGET_ROWS:,})")
    print(f"Cross-check matching; {describe_db(app)}; {size}", flush=True)
    content, planted = bureau_list(args.households, args.rows, args.hit_share)
    with app.app_context():
        session = flask_db.session
        at = load()
        started = time.perf_counter()
        build(session, args.households)
        print(f"  built in {time.perf_counter() - started:.1f} s (load {at:.2f} -> {load():.2f})")
        at = load()
        t0 = time.perf_counter()
        found = crosscheck.import_list(session, None, "human_resources", "D1", "bench.csv",
                                       content, NOW)
        t1 = time.perf_counter()
        hits = crosscheck.match(session, found, NOW)
        t2 = time.perf_counter()
        session.remove()
    if hits != planted:
        raise BenchError(f"expected {planted} hits, matched {hits}")
    print(f"  read and stored {args.rows:,} rows in {t1 - t0:.1f} s; matched in {t2 - t1:.1f} s;"
          f" {hits:,} hits")
    smaller = args.households < TARGET_HOUSEHOLDS or args.rows < TARGET_ROWS
    note = size + ("; a PASS here is not yet a PASS at issue 14's size" if smaller else "") + \
        f"; read+store {t1 - t0:.1f} s, match {t2 - t1:.1f} s, {hits:,} hits"
    record(Figure("cross-check list loaded and matched", label, t2 - t0, "s",
                  f"<= {MAX_SECONDS:.0f} s", at_most(t2 - t0, MAX_SECONDS), at, load(), note))


if __name__ == "__main__":
    guarded(main)

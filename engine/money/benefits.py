"""Household top-ups (补差): recorded at approval, recalculated in bulk when a standard changes.

A recalculation runs the region's own rules when the procedure names them: the decision
tables listed in the service task's `decisions` parameter are evaluated again for every
household, on the facts kept with its benefit (its incomes, members, area…), seeing the
standard in force for the household on the date the change takes effect
(`standard_monthly`, `standard_yearly`, engine/money/standards.py); the last table's
`proposed_amount` is the new top-up. Without `decisions` it falls back to the national formula
(民发〔2012〕220号 Art. 27): (standard − per-capita income) × household members, per month, never
negative. A household whose facts are unknown, or for which the rules fail, is skipped and
counted, not guessed. Every amount is exact (Decimal) and rounded once, to the fen, half up
(engine/store/amounts.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.money import households, standards
from engine.store import audit, chunks
from engine.store.amounts import Amount, fen, number
from engine.store.errors import Invalid, ModelError
from engine.store.models import Benefit, Case, HouseholdPayee, Job, ProcedureVersion
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import spiff
from engine.workflow.bridge import StepContext
from engine.workflow.operations import operation
from engine.workflow.procedures import model_of

BATCH = 200
RECALCULATE = "recalculate_topups"  # the job's kind
# Decided values kept with every benefit besides what the tables read: the category the
# procedure decided (认定类别 / 分类施保类别), for the monthly statistics (engine/money/monthly.py).
KEPT = frozenset({"category"})
# A top-up fills the gap to the standard, per member (补差), so it is at most the standard times
# the members; classified top-ups (分类施保) add a share of the standard (30 % at most in the
# local rules we know). Twice that is no payment any rule makes: a typing error, refused
# before it reaches the public notice or the payroll.
CEILING_TIMES = 2
# What a benefit column (numeric(12, 2)) holds, whatever the standard.
LARGEST = Decimal("9999999999.99")


def topup(standard_monthly: Decimal, per_capita_income_yearly: Decimal | float,
          size: int) -> Amount:
    """The national formula, exact, rounded once at the end."""
    gap = Amount(standard_monthly) - Amount(per_capita_income_yearly) / 12
    return fen(max(Amount(0), gap) * size)


_number = number


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | Decimal)


def _json_scalar(value: Any) -> Any:
    """Facts are JSON: an exact amount is kept as its decimal text's float (two decimals at
    most in what forms produce), never as binary noise."""
    return float(value) if isinstance(value, Decimal) else value


def facts_of(data: dict[str, Any], names: frozenset[str] | set[str]) -> dict[str, Any]:
    """The scalar values of `data` that the bundle's decision tables read (never the
    standard: a recalculation must read the one in force then)."""
    return {name: _json_scalar(data[name]) for name in sorted(names)
            if name not in standards.NAMES and _scalar(data.get(name))}


def on_approved(db: Session, case: Case, data: dict[str, Any], now: datetime,
                decision_names: frozenset[str] = frozenset()) -> None:
    """The first benefit row of an approved household, from the procedure's `amount`."""
    amount = _number(data.get("amount"))
    if amount is None:
        return
    day = calendar.local_date(now)
    if (problem := implausible(db, case, amount, day)) is not None:
        raise Invalid({"amount": [problem]}, "核定的月补差金额不合理，未作任何更改")
    income = _number(data.get("per_capita_income"))
    db.add(Benefit(case_id=case.id, monthly_amount=fen(amount),
                   per_capita_income=fen(income) if income is not None else None,
                   household_size=case.household_size, effective_from=day,
                   source="approval", created_at=now,
                   facts=facts_of(data, decision_names | KEPT) or None))
    _record_payee(db, case, data, now)


# Form fields whose value becomes the household's monthly top-up (bpmn/README.md, "Money"):
# `amount`, or `adjusted_amount` that the older bundles' set_amount script copies into it.
AMOUNT_FIELDS = ("amount", "adjusted_amount")


def check_submitted(db: Session, case: Case, clean: dict[str, Any], now: datetime) -> None:
    """Refuse a submitted top-up no rule could give this household (Invalid on its field),
    before it reaches the case data, the public notice or the payroll."""
    problems = {}
    for name in AMOUNT_FIELDS:
        value = _number(clean.get(name))
        if value is not None and (problem := implausible(db, case, value,
                                                         calendar.local_date(now))):
            problems[name] = [problem]
    if problems:
        raise Invalid(problems, "核定的月补差金额不合理，未作任何更改")


def implausible(db: Session, case: Case, amount: Decimal, day: date) -> str | None:
    """Why a monthly top-up cannot be right for the case's household, or None
    (`beyond_ceiling` for the case's region and members)."""
    return beyond_ceiling(db, case.org_path, case.household_size, amount, day)


def beyond_ceiling(db: Session, org_path: str, members: int | None, amount: Decimal,
                   day: date) -> str | None:
    """Why a monthly amount cannot be right for a household of `members` under `org_path`, or
    None: more than CEILING_TIMES the standard in force on `day` times its members (rounded
    once, to the fen), or more than a benefit can hold. Approvals, reviews and the roll import
    share it."""
    standard = standards.in_force(db, org_path, day)
    if standard is None or not members:
        return f"月补差金额 {fen(amount)} 元超出可记录的范围" if amount > LARGEST else None
    ceiling = fen(standards.monthly(standard) * members * CEILING_TIMES)
    if amount > ceiling:
        # the standard as set (a yearly one divided by 12), so that the sum shown is exact
        per = (f"{fen(standard.amount)} 元/人·年 ÷ 12" if standard.period == "year"
               else f"{fen(standard.amount)} 元/人·月")
        return (f"月补差金额 {fen(amount)} 元超过本户上限 {ceiling} 元（标准 {per} × "
                f"{members} 人 × {CEILING_TIMES}），请核对")
    return None


def _record_payee(db: Session, case: Case, data: dict[str, Any], now: datetime) -> None:
    """The account the application names becomes where the household is paid (the payroll
    reads it); an application without one leaves a recorded account as it is."""
    account = str(data.get("bank_account") or "").strip()
    if not account or case.household_id is None:
        return
    payee = db.scalar(select(HouseholdPayee).where(
        HouseholdPayee.household_id == case.household_id))
    if payee is None:
        payee = HouseholdPayee(household_id=case.household_id)
        db.add(payee)
    payee.bank_account, payee.source, payee.updated_at = account[:40], f"case:{case.id}", now


def _active(org_path: str):
    """Approved households under a region that have a benefit not ended by an exit. The
    benefit conditions are correlated (index ix_benefit_case), so that a chunk of case ids
    reads only its own benefit rows, never every exit of the table."""
    return select(Case.id).where(
        Case.status == "approved", Case.org_path.startswith(org_path, autoescape=True),
        select(Benefit.id).where(Benefit.case_id == Case.id).exists(),
        ~select(Benefit.id).where(Benefit.case_id == Case.id,
                                  Benefit.source.like("exit:%")).exists())


def _decision_ids(decisions: Any) -> list[str]:
    if decisions is None:
        return []
    if not isinstance(decisions, str):
        raise ValueError(f"decisions 应为以逗号分隔的决策表编号，实际为 {decisions!r}")
    return [d.strip() for d in decisions.replace("，", ",").split(",") if d.strip()]


def _effective_date(effective_from: Any, now: datetime) -> date:
    if effective_from in (None, ""):
        return calendar.local_date(now)
    try:
        return date.fromisoformat(str(effective_from)[:10])
    except ValueError:
        raise ValueError(f"生效日期应为 YYYY-MM-DD，实际为 {effective_from!r}") from None


@operation("recalculate_topups", regional=True)
def start_recalculation(db: Session, case: Case, now: datetime, effective_from: Any = None,
                        decisions: Any = None) -> dict[str, Any]:
    """Service task: queue the recalculation of every active household of the case's region,
    by the decision tables named in `decisions` (of the case's own bundle) or else by the
    national formula, each with the standard in force for it from `effective_from`."""
    rules = _decision_ids(decisions)
    if rules:
        version = db.get(ProcedureVersion, case.procedure_version_id)
        missing = [d for d in rules if d not in model_of(version).decisions]
        if missing:
            raise ValueError(f"流程包中没有决策表：{'、'.join(missing)}")
    effective = _effective_date(effective_from, now)
    standard = standards.in_force(db, case.org_path, effective)
    if standard is None:
        raise ValueError(f"本地区在 {effective} 没有有效的低保标准，无法重新核算")
    region = case.org_path
    total = db.scalar(select(func.count()).select_from(_active(region).subquery()))
    job = Job(kind=RECALCULATE, org_path=region, case_id=case.id, total=total,
              params={"effective_from": effective.isoformat(),
                      "decisions": rules, "version_id": case.procedure_version_id},
              created_at=now)
    db.add(job)
    db.flush()
    how = (f"按决策表 {'、'.join(rules)}" if rules else
           f"按标准 {standard.amount} {standards.PERIODS[standard.period]}")
    audit.record(db, now, None, "job.created", case=case,
                 comment=f"{how}重新核算 {total} 户补差（{effective} 起）")
    return {"job_id": job.id, "households": total}


def _by_formula(db: Session, case: Case, effective: date, old: Benefit) -> Benefit | None:
    """The national formula with the standard in force for the household from `effective`."""
    found = standards.in_force(db, case.org_path, effective)
    if old.per_capita_income is None or found is None:
        return None
    monthly = standards.monthly(found)
    return Benefit(per_capita_income=old.per_capita_income,
                   household_size=old.household_size, facts=old.facts,
                   monthly_amount=topup(monthly, old.per_capita_income, old.household_size))


def _by_rules(db: Session, case: Case, effective: date, job: Job, old: Benefit,
              model, now: datetime) -> Benefit | None:
    """Run the region's decision tables again on the household's facts, seeing the standard
    in force for the household from `effective`."""
    if not old.facts:
        return None
    try:
        context = StepContext(db, now, case, calendar.regions_of(case.org_path),
                              values=standards.reader(db, case.org_path, effective))
        result = spiff.decide(model, job.params["decisions"],
                              {**old.facts, "standard_date": effective.isoformat()}, context)
    except standards.NoStandard as exc:
        raise ModelError(str(exc)) from exc
    amount = _number(result.get("proposed_amount"))
    if amount is None or amount < 0:
        raise ModelError(f"决策表没有给出有效的 proposed_amount：{result.get('proposed_amount')!r}")
    income = _number(result.get("per_capita_income"))
    return Benefit(per_capita_income=fen(income) if income is not None else None,
                   household_size=old.household_size, monthly_amount=fen(amount),
                   facts={k: _json_scalar(result[k]) for k in old.facts
                          if _scalar(result.get(k))})


def _job_ids(job: Job):
    """A recalculation's rows: its region's active households, by case id."""
    return _active(job.org_path).where(Case.id > (job.cursor or 0)).order_by(Case.id)


def run_batch(db: Session, now: datetime | None = None) -> int:
    """Recalculate the next chunk of a job no other worker holds (engine/store/chunks.py);
    returns households handled (0: nothing to do)."""
    now = now or clock.now()
    chunks.plan(db, RECALCULATE, _job_ids, BATCH)
    with unit_of_work(db):
        claimed = chunks.claim(db, RECALCULATE)
        if claimed is None:
            return 0
        job, chunk = claimed
        ids = list(db.scalars(_active(job.org_path).where(*chunks.in_chunk(Case.id, chunk))
                              .order_by(Case.id)))
        latest: dict[int, Benefit] = {}
        for benefit in db.scalars(select(Benefit).where(Benefit.case_id.in_(ids))
                                  .order_by(Benefit.id)):
            latest[benefit.case_id] = benefit
        effective = date.fromisoformat(job.params["effective_from"])
        model = _job_model(db, job)
        holders = {c.id: c for c in db.scalars(select(Case).where(Case.id.in_(ids)))}
        done, skipped, error = 0, 0, None
        for case_id in ids:
            old, holder = latest[case_id], holders[case_id]
            try:
                new = (_by_rules(db, holder, effective, job, old, model, now) if model
                       else _by_formula(db, holder, effective, old))
            except ModelError as exc:
                new, error = None, f"案件 {case_id}：{exc}"
            if new is None:
                skipped += 1
                continue
            new.case_id, new.effective_from = case_id, effective
            new.source, new.created_at = f"job:{job.id}", now
            db.add(new)
            done += 1
        chunks.close(db, job, chunk, done, skipped, now, error=error)
        return len(ids) or 1  # 1: an empty chunk was just closed


def _job_model(db: Session, job: Job):
    """The process model whose decision tables the job runs, or None for the formula."""
    if not job.params.get("decisions"):
        return None
    return model_of(db.get(ProcedureVersion, job.params["version_id"]))


def drain(run_batch_fn, db: Session, now: datetime | None = None, max_batches: int = 50) -> int:
    """The worker's share of a kind of job: batches until none is left or the pass is full."""
    handled = 0
    for _ in range(max_batches):
        n = run_batch_fn(db, now)
        if n == 0:
            break
        handled += n
    return handled


def run_jobs(db: Session, now: datetime | None = None, max_batches: int = 50) -> int:
    return drain(run_batch, db, now, max_batches)


def current(db: Session, case_id: int) -> Benefit | None:
    """The newest benefit row of an approved case."""
    return households.latest_benefit(db, case_id)


# ---------------------------------------------------------------- dynamic management (动态管理)
# A household's benefit rows stay on the case that first approved it; a yearly review or an
# exit appends to that case's rows, so that current() and the recalculation stay meaningful.


def in_force(db: Session, case: Case) -> Benefit | None:
    """The benefit row in force for the household of `case` (households.rows_in_force), or
    None (no household, none, or ended)."""
    if case.household_id is None:
        return None
    old = households.current_benefit(db, case.household_id)
    return None if households.ended(old) else old


def end_for(db: Session, case: Case, now: datetime) -> Benefit | None:
    """End the benefit of the household of `case` (an exit): a 0 row, source "exit:<case>".
    Idempotent: a household whose benefit already ended gets no second row."""
    old = in_force(db, case)
    if old is None:
        return None
    ended = Benefit(case_id=old.case_id, monthly_amount=Decimal("0.00"),
                    per_capita_income=old.per_capita_income, household_size=old.household_size,
                    effective_from=calendar.local_date(now), source=f"{Benefit.EXIT}{case.id}",
                    created_at=now, facts=old.facts)
    db.add(ended)
    audit.record(db, now, None, "benefit.ended", case=case,
                 comment=f"家庭退出，案件 {old.case_id} 的补差自 {calendar.local_date(now)} 停发")
    return ended


@operation("end_benefit")
def end_benefit(db: Session, case: Case, now: datetime) -> dict[str, Any]:
    """Service task: stop the benefit before the case ends (a case ending `exited` stops it
    in any case, see engine.casework.instances.save)."""
    ended = end_for(db, case, now)
    return {"ended": True, "benefit_case_id": ended.case_id} if ended else {"ended": False}


@operation("adjust_benefit", with_data=True)
def adjust_benefit(db: Session, case: Case, now: datetime, amount: Any,
                   per_capita_income: Any = None,
                   data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Service task: the yearly review adjusts the household's monthly top-up; the facts the
    review's decision tables read (this year's incomes, members) replace the kept ones."""
    value = _number(amount)
    if value is None or value < 0:
        raise ValueError(f"调整后的月补差金额应为非负数，实际为 {amount!r}")
    value = fen(value)
    if (problem := implausible(db, case, value, calendar.local_date(now))) is not None:
        raise ValueError(problem)
    old = in_force(db, case)
    if old is None:
        raise ValueError("该户没有在保的补差记录，无法调整")
    income = _number(per_capita_income)
    names = model_of(db.get(ProcedureVersion, case.procedure_version_id)).decision_names
    read = facts_of(data or {}, names)
    kept = {k: v for k, v in (old.facts or {}).items() if k in KEPT}
    facts = {**({**kept, **read} if read else (old.facts or {})), **facts_of(data or {}, KEPT)}
    db.add(Benefit(case_id=old.case_id, monthly_amount=value,
                   per_capita_income=fen(income) if income is not None else old.per_capita_income,
                   household_size=case.household_size or old.household_size,
                   effective_from=calendar.local_date(now), source=f"review:{case.id}",
                   created_at=now, facts=facts or None))
    audit.record(db, now, None, "benefit.adjusted", case=case,
                 comment=f"年度复核调整补差：{old.monthly_amount} → {value} 元/月")
    return {"adjusted": True, "benefit_case_id": old.case_id, "amount": float(value)}

"""Households (动态管理): a household's cases across identification, review, exit, re-entry."""

from engine.casework import household_file, reviews
from engine.casework.hits import masked
from engine.money import deregistration, households

from ..extensions import db
from . import actor, api, schemas, views


def _household(h) -> dict:
    return {"id": h.id, "head_name": h.head_name, "head_id_number": h.head_id_number,
            "created_at": views.iso(h.created_at)}


@api.get("/households")
@api.arguments(schemas.HouseholdQuery, location="query")
@api.alt_response(200, schema=schemas.Household(many=True), success=True)
def search_households(args):
    """Households the caller's org may see, by head name or ID number (officials only)."""
    found = households.search(db.session, actor(), args.get("q") or None, limit=args["limit"])
    return [_household(h) for h in found]


@api.get("/households/<int:household_id>")
@api.alt_response(200, schema=schemas.HouseholdDetail, success=True)
def get_household(household_id: int):
    """One household with every case of it, oldest first, and its current benefit (an exit
    leaves it at 0 with `ended` true) and its 销号 records (`exits`, oldest first)."""
    file = household_file.read(db.session, actor(), household_id)
    found, benefit, standard = file.summary, file.summary.benefit, file.standard
    return {**_household(found.household), "status": found.status,
            "members": [{"name": m.name, "relation": m.relation,
                         "id_number_masked": masked(m.id_number)} for m in file.members],
            "standard": None if standard is None else {
                "region": standard.region.code, "amount": standard.amount,
                "period": standard.period, "from": standard.effective_from.isoformat()},
            "crosscheck": [views.hit(h) for h in file.crosscheck],
            "benefit": None if benefit is None else {
                "case_id": benefit.case_id, "monthly_amount": benefit.monthly_amount,
                "effective_from": benefit.effective_from.isoformat(), "source": benefit.source,
                "ended": found.ended},
            "cases": [views.case_row(c) for c in found.cases],
            "exits": [_exit(e) for e in deregistration.of_household(db.session,
                                                                    found.household.id)]}


def _exit(entry) -> dict:
    """A 销号 record: the day, the reason (code and Chinese), the confirming document."""
    return {"case_id": entry.case_id, "exited_on": entry.exited_on.isoformat(),
            "reason": entry.reason, "reason_label": deregistration.REASONS[entry.reason],
            "document": entry.document}


@api.post("/reviews/yearly")
@api.arguments(schemas.YearlyReview)
@api.alt_response(202, schema=schemas.JobQueued, success=True)
def start_yearly_review(data):
    """Queue the yearly review (年度复核) of every active household of a region (district or
    admin); progress at GET /api/jobs/<id>."""
    job = reviews.start_yearly(db.session, actor(), data["region"] or "",
                               data["procedure"] or None)
    return {"id": job.id, "kind": job.kind, "status": job.status, "total": job.total}, 202

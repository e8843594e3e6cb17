"""Regional statistics (统计月报): the roll, its movement, the money and the work of a month."""

from __future__ import annotations

from engine.money import monthly, stats
from engine.store import amounts

from ..extensions import db
from . import actor, api, schemas


def _level(line: stats.TopupLevel) -> dict:
    shown = amounts.fen(line.standard_monthly) if line.standard_monthly is not None else None
    return {"households": line.households, "persons": line.persons,
            "amount_total": line.amount_total, "avg_topup_per_person": line.avg_per_person,
            "standard_monthly": shown, "level_ratio": line.ratio}


def answer(found: monthly.Monthly) -> dict:
    """The contract's keys (households … overdue_share) and, beyond them, the groups."""
    whole, *areas = found.levels
    return {
        "region": found.region.code, "month": found.month, "on": found.on.isoformat(),
        **_level(whole),
        "new": found.new.households, "new_persons": found.new.persons,
        "exited": found.exited.households, "exited_persons": found.exited.persons,
        "gradual_exit": found.gradual_exit,
        "by_category": [{"category": g.key, "households": g.households, "persons": g.persons,
                         "amount_total": g.amount_total} for g in found.by_category],
        "by_area": [{"area": a.area, **_level(a), "target_ratio": a.target,
                     "meets_target": a.meets_target} for a in areas],
        "by_step": {s.step: {"name": s.name, "open": s.open, "completed": s.completed,
                             "avg_days": s.avg_days, "overdue": s.overdue}
                    for s in found.steps},
        "overdue_share": found.overdue_share,
    }


@api.get("/stats")
@api.arguments(schemas.StatsQuery, location="query")
def region_stats(args):
    """The month's report of a region: households and persons with a benefit (by category and
    area), new entries, exits and gradual exits, the top-ups and their level against the
    standard, open and completed steps with their time taken, and the share overdue."""
    return answer(monthly.report(db.session, actor(), args.get("region") or None,
                                 args.get("month") or None))

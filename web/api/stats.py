"""Regional statistics: for now the top-up level (补差水平) beside the bundle's targets."""

from __future__ import annotations

from engine.money import stats
from engine.store import amounts

from ..extensions import db
from . import actor, api, schemas


def _level(line: stats.TopupLevel) -> dict:
    shown = amounts.fen(line.standard_monthly) if line.standard_monthly is not None else None
    return {"households": line.households, "persons": line.persons,
            "amount_total": line.amount_total, "avg_topup_per_person": line.avg_per_person,
            "standard_monthly": shown, "level_ratio": line.ratio}


@api.get("/stats")
@api.arguments(schemas.StatsQuery, location="query")
def region_stats(args):
    """Households and persons with a benefit, their monthly top-ups, the average per person
    and its ratio to the standard, for the region and by area with the target ratio."""
    found = stats.report(db.session, actor(), args.get("region") or None,
                         args.get("month") or None)
    whole, *areas = found.levels
    return {"region": found.region.code, "month": found.month, "on": found.on.isoformat(),
            **_level(whole),
            "by_area": [{"area": a.area, **_level(a), "target_ratio": a.target,
                         "meets_target": a.meets_target} for a in areas]}

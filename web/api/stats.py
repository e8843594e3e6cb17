"""Regional statistics: for now the top-up level (补差水平) beside the bundle's targets."""

from __future__ import annotations

from decimal import Decimal

from flask import request

from engine import stats

from ..extensions import db
from . import actor, api


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _level(line: stats.TopupLevel) -> dict:
    return {"households": line.households, "persons": line.persons,
            "amount_total": _text(line.amount_total),
            "avg_topup_per_person": _text(line.avg_per_person),
            "standard_monthly": _text(line.standard_monthly),
            "level_ratio": _text(line.ratio)}


@api.get("/stats")
def region_stats():
    """Households and persons with a benefit, their monthly top-ups, the average per person
    and its ratio to the standard, for the region and by area with the target ratio.
    Money and ratios are decimal strings."""
    found = stats.report(db.session, actor(), request.args.get("region") or None,
                         request.args.get("month") or None)
    whole, *areas = found.levels
    return {"region": found.region.code, "month": found.month, "on": found.on.isoformat(),
            **_level(whole),
            "by_area": [{"area": a.area, **_level(a), "target_ratio": _text(a.target),
                         "meets_target": a.meets_target} for a in areas]}

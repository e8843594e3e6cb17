"""Working-day arithmetic for clients that need the same deadlines as the engine."""

from datetime import date

from flask import request

from engine import calendar
from engine.errors import Invalid
from engine.orgs import by_code

from ..extensions import db
from . import api, query_int


@api.get("/calendar/add-working-days")
def add_working_days():
    """The Nth working day after start, with a region's local days; 422 naming an uncovered year."""
    try:
        start = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        raise Invalid({"start": ["start 应为 YYYY-MM-DD 日期"]}) from None
    if request.args.get("days") in (None, ""):
        raise Invalid({"days": ["需要提供 days"]})
    days = query_int("days", 0, 0, 3650)
    regions: tuple[str, ...] = ()
    if request.args.get("region"):
        regions = tuple(by_code(db.session, request.args["region"]).path_codes())
    result = calendar.add_working_days(start, days, regions, db.session)
    return {"date": result.isoformat()}

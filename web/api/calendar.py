"""Working-day arithmetic for clients that need the same deadlines as the engine."""

from engine.people.orgs import by_code
from engine.time import calendar

from ..extensions import db
from . import api, schemas


@api.get("/calendar/add-working-days")
@api.arguments(schemas.WorkingDaysQuery, location="query")
@api.alt_response(200, schema=schemas.WorkingDay, success=True)
def add_working_days(args):
    """The Nth working day after start, with a region's local days; 422 naming an uncovered year."""
    regions: tuple[str, ...] = ()
    if args.get("region"):
        regions = tuple(by_code(db.session, args["region"]).path_codes())
    result = calendar.add_working_days(args["start"], args["days"], regions, db.session)
    return {"date": result.isoformat()}

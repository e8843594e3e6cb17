"""Regional standards (低保标准): GET /api/standards?region=CODE, newest first."""

from engine.money import standards

from ..extensions import db
from . import api, schemas, views


@api.get("/standards")
@api.arguments(schemas.RegionQuery, location="query")
def list_standards(args):
    """A region's standards, in force and past, newest first (any signed-in user)."""
    return [views.standard(s) for s in standards.history(db.session, args.get("region") or "")]

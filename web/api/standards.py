"""Regional standards (低保标准): GET /api/standards?region=CODE, newest first."""

from flask import request

from engine import standards
from engine.errors import Invalid

from ..extensions import db
from . import api


@api.get("/standards")
def list_standards():
    """A region's standards, in force and past, newest first (any signed-in user)."""
    region = (request.args.get("region") or "").strip()
    if not region:
        raise Invalid({"region": ["需要提供 region（地区机构代码）"]})
    return [standards.as_dict(s) for s in standards.history(db.session, region)]

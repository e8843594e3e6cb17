"""The monthly payroll (发放花名册) of a township or district, as the contract names it."""

from __future__ import annotations

from marshmallow import fields

from engine.data import payroll

from ..extensions import db
from . import actor, api, schemas, views


class PayrollQuery(schemas.Request):
    region = fields.String(required=True, metadata={"description": "镇（街道）或区的机构代码"})
    month = fields.String(required=True, metadata={"description": "月份 YYYY-MM"})


class PayrollLine(schemas.Response):
    household = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number_masked = fields.String(required=True)
    account = fields.String(required=True)
    amount = fields.Float(required=True)
    change = fields.String(allow_none=True, metadata={
        "description": "new, adjusted, gradual_exit, stopped, or null (unchanged)"})


class PayrollSheet(schemas.Response):
    month = fields.String(required=True)
    region = fields.String(required=True)
    frozen = fields.Boolean(required=True)
    rows = fields.List(fields.Nested(PayrollLine), required=True)
    total = fields.Float(required=True)


def line_json(line: payroll.Line) -> dict:
    return {"household": line.household_id, "name": line.name,
            "id_number_masked": line.id_number_masked, "account": line.account,
            "amount": line.amount, "change": line.change, "village": line.village_code,
            "previous_amount": line.previous_amount}


@api.get("/payroll")
@api.arguments(PayrollQuery, location="query")
@api.alt_response(200, schema=PayrollSheet, success=True)
def get_payroll(args):
    """Every household due payment in the month (township, district, admin of the region):
    name, masked ID number, bank account, amount and the change from last month; totals per
    village; `frozen` once the district has confirmed it."""
    found = payroll.sheet(db.session, actor(), args["region"], args["month"])
    return {"month": found.month, "region": found.region.code, "frozen": found.frozen,
            "confirmed_at": views.iso(found.confirmed_at),
            "rows": [line_json(line) for line in found.lines],
            "villages": [{"code": v.code, "name": v.name, "households": v.households,
                          "amount": v.amount} for v in found.villages],
            "total": found.total}

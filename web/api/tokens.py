"""Tokens and the caller's identity."""

from engine import accounts

from ..extensions import db
from . import actor, api, schemas, views


@api.post("/tokens")
@api.doc(security=[])
@api.arguments(schemas.TokenRequest)
@api.alt_response(201, schema=schemas.Token, success=True)
def tokens(data):
    """Exchange a username and password for a bearer token."""
    user = accounts.check_password(db.session, data["username"], data["password"])
    return {"token": accounts.issue_token(db.session, user)}, 201


@api.get("/me")
@api.alt_response(200, schema=schemas.Me, success=True)
def me():
    """The authenticated user, their role and org unit."""
    return views.me(actor())

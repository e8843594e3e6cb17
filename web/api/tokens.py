"""Tokens and the caller's identity."""

from engine import accounts

from ..extensions import db
from . import actor, api, body, views


@api.post("/tokens")
def tokens():
    """Exchange a username and password for a bearer token."""
    data = body()
    user = accounts.check_password(db.session, str(data.get("username", "")),
                                   str(data.get("password", "")))
    return {"token": accounts.issue_token(db.session, user)}, 201


@api.get("/me")
def me():
    """The authenticated user, their role and org unit."""
    return views.me(actor())

"""Tokens and the caller's identity."""

from flask import request

from engine.people import accounts

from ..extensions import db
from . import actor, api, schemas, views


@api.post("/tokens")
@api.doc(security=[])
@api.arguments(schemas.TokenRequest)
@api.alt_response(201, schema=schemas.Token, success=True)
def tokens(data):
    """Exchange a username and password for a bearer token that expires.

    429 while the username or the client address is locked out."""
    token, expires_at = accounts.issue_token_for_sign_in(
        db.session, data["username"], data["password"], request.remote_addr or "")
    return {"token": token, "expires_at": views.iso(expires_at)}, 201


@api.delete("/tokens/current")
@api.alt_response(204, success=True, description="令牌已撤销")
def revoke_current_token():
    """Revoke the bearer token this request was made with."""
    accounts.revoke_token(db.session, request.headers["Authorization"].partition(" ")[2].strip())
    return "", 204


@api.get("/me")
@api.alt_response(200, schema=schemas.Me, success=True)
def me():
    """The authenticated user, their role and org unit."""
    return views.me(actor())

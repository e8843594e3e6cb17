"""Tokens and the caller's identity."""

from flask import request

from engine import accounts

from ..extensions import db
from . import actor, api, body, views


@api.post("/tokens")
def tokens():
    """Exchange a username and password for a bearer token that expires.

    429 while the username or the client address is locked out; 403
    `password_change_required` while the password is still the admin-set or demo one."""
    data = body()
    token, expires_at = accounts.issue_token_for_sign_in(
        db.session, str(data.get("username", "")), str(data.get("password", "")),
        request.remote_addr or "")
    return {"token": token, "expires_at": views.iso(expires_at)}, 201


@api.delete("/tokens/current")
def revoke_current_token():
    """Revoke the bearer token this request was made with."""
    accounts.revoke_token(db.session, request.headers["Authorization"].partition(" ")[2].strip())
    return "", 204


@api.get("/me")
def me():
    """The authenticated user, their role and org unit."""
    return views.me(actor())

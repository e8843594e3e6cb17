"""The REST API of ../shared/contract.md: thin routes over engine calls."""

from __future__ import annotations

from flask import Flask, g, request

from engine.people import accounts
from engine.store.errors import Unauthorized
from engine.store.models import User

from ..extensions import db
from . import spec

api = spec.Blueprint("api", __name__, url_prefix="/api")
PUBLIC = {"api.tokens", "api.openapi", "api.public_notices", "api.object_to_notice"}


@api.before_request
def authenticate() -> None:
    """Resolve the bearer token to a user for every non-public endpoint."""
    if request.endpoint in PUBLIC or request.endpoint is None:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("需要 Authorization: Bearer 令牌")
    g.actor = accounts.user_for_token(db.session, token.strip())


def actor() -> User:
    return g.actor


@api.get("/openapi.json")
@api.doc(security=[])
def openapi():
    """This document, generated from the routes' request and response schemas."""
    return spec.document()


def init_app(app: Flask) -> None:
    """Register the API and its OpenAPI document (after every route module is imported)."""
    spec.init_app(app, api)


# The route modules register themselves on `api` when imported.
from . import (  # noqa: E402,F401
    calendar,
    cases,
    crosscheck,
    drafts,
    households,
    jobs,
    notices,
    objections,
    overdue,
    payroll,
    procedures,
    standards,
    stats,
    tasks,
    tokens,
    versions,
)

"""The REST API of ../shared/contract.md: thin routes over engine calls."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request

from engine import accounts
from engine.errors import BadRequest, Unauthorized
from engine.models import User

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


def body() -> dict[str, Any]:
    """The JSON object of the request, or a 400 saying why not."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 JSON 对象（Content-Type: application/json）")
    return data


def query_int(name: str, default: int, low: int = 0, high: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"参数 {name} 应为整数") from None
    return max(low, min(high, value))


def query_bool(name: str) -> bool | None:
    raw = (request.args.get(name) or "").lower()
    if raw in ("", None):
        return None
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise BadRequest(f"参数 {name} 应为 true 或 false")


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
    households,
    jobs,
    notices,
    objections,
    overdue,
    procedures,
    standards,
    stats,
    tasks,
    tokens,
    versions,
)

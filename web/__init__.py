"""Yimen's web layer: translates HTTP into engine calls and back. Owns no rules."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, url_for
from flask.json.provider import DefaultJSONProvider

from engine import money as engine_money
from engine.store.db import engine_options

from .extensions import db, migrate
from .security import _flag

MIGRATIONS = str(Path(__file__).parent / "migrations")


def _secret_key(instance: Path) -> str:
    """A per-installation key kept under instance/, so sessions survive restarts."""
    if os.environ.get("YIMEN_SECRET_KEY"):
        return os.environ["YIMEN_SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class JSONProvider(DefaultJSONProvider):
    """Amounts are exact Decimals in the engine and JSON numbers in the API (the contract's
    type), never strings."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        return DefaultJSONProvider.default(o)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'yimen.sqlite3'}"
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):  # Flask's default config holds SECRET_KEY=None
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.config.setdefault("YIMEN_DB_POOLED", _flag("YIMEN_DB_POOLED"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], pooled=bool(app.config["YIMEN_DB_POOLED"]))
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False

    engine_money.register()  # service operations and bundle files (engine/workflow/operations.py)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)

    from . import api, auth, errors, forms_render, i18n, input_guard, security
    from .pages import pages
    from .pages.admin import admin
    from .pages.designer import designer
    from .pages.public import public

    security.init_app(app)
    errors.register(app)
    input_guard.register(app)  # before any route: it bounds the `int` converter
    api.init_app(app)
    auth.init_app(app)
    auth.csrf.exempt(api.api)  # bearer tokens, no cookies
    i18n.init_app(app)
    forms_render.register(app)
    app.register_blueprint(pages)
    app.register_blueprint(public)
    app.register_blueprint(admin)
    app.register_blueprint(designer)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    return app


def _favicon() -> Response:
    """Browsers and tools that ask for /favicon.ico get the page icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)

"""Yimen's web layer: translates HTTP into engine calls and back. Owns no rules."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.db import engine_options

from .extensions import db, migrate

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


def _trust_proxy(app: Flask) -> None:
    """Behind a reverse proxy, take the client address from its X-Forwarded-For.

    TRUSTED_PROXIES (env YIMEN_TRUSTED_PROXIES) is the number of proxies in front of the app
    (any other non-empty value counts as one). Unset or 0, the header is ignored: a client could
    forge it. Rate limits key on `request.remote_addr`, so each citizen has their own limit.
    """
    trusted = str(app.config.get("TRUSTED_PROXIES") or os.environ.get("YIMEN_TRUSTED_PROXIES")
                  or "").strip()
    hops = int(trusted) if trusted.isdigit() else 1 if trusted else 0
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]


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
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    _trust_proxy(app)
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)

    from . import api, auth, errors, forms_render, i18n, input_guard
    from .pages import pages
    from .pages.admin import admin
    from .pages.designer import designer
    from .pages.public import public

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
    return app

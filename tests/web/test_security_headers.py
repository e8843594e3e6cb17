"""Response headers, Secure cookies behind HTTPS, and client addresses from trusted proxies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import LoginFailure
from tests.web.conftest import sign_in
from web import create_app

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", [
    "/login", "/inbox", "/static/yimen.css", "/api/me", "/api/openapi.json", "/public/V11",
    "/no-such-page",
])
def test_every_response_carries_the_security_headers(world, client, path):
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name)
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"], "no inline scripts, no eval"
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["default-src"] == ["'self'"]


def test_signed_in_pages_and_api_errors_carry_them_too(world, client):
    sign_in(client, "vil11")
    for response in (client.get("/inbox"), client.post("/api/tokens", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in response.headers


def test_templates_hold_no_inline_script_handler_or_style_attribute():
    """What the CSP would block: <script> without src, on*= handlers, javascript: links,
    style="" attributes (only the modelers' own injected styles are allowed)."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"javascript:",
                        r"\sstyle\s*=", r"<style"):
            problems += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, html)]
    assert problems == []


def _second_app(app, **config):
    """Another app on the same (already migrated) database, configured differently."""
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                       **config})


def test_cookies_are_secure_when_told_the_app_runs_behind_https(app, world, monkeypatch):
    assert app.config["SESSION_COOKIE_SECURE"] is False, "plain HTTP by default (make run)"
    monkeypatch.setenv("YIMEN_HTTPS", "1")
    https = _second_app(app)
    assert https.config["SESSION_COOKIE_SECURE"] is True
    assert https.config["REMEMBER_COOKIE_SECURE"] is True
    with https.test_client() as client:
        cookie = client.get("/login").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_the_client_address_comes_from_trusted_proxies_only(app, world, monkeypatch, db):
    forwarded = {"X-Forwarded-For": "203.0.113.50, 192.0.2.10", "X-Forwarded-Proto": "https"}
    creds = {"username": "vil11", "password": "wrong"}
    app.test_client().post("/api/tokens", json=creds, headers=forwarded,
                           environ_base={"REMOTE_ADDR": "10.1.1.1"})
    monkeypatch.setenv("YIMEN_TRUSTED_PROXIES", "1")
    proxied = _second_app(app)
    proxied.test_client().post("/api/tokens", json=creds, headers=forwarded,
                               environ_base={"REMOTE_ADDR": "10.1.1.1"})
    db.expire_all()
    addresses = [row.address for row in db.scalars(select(LoginFailure).order_by(
        LoginFailure.id))]
    # Without a trusted proxy the header is anyone's to forge; with one hop, the address
    # that proxy appended (the last one) is the client, and what came before it is not.
    assert addresses == ["10.1.1.1", "192.0.2.10"]


def test_a_bad_trusted_proxies_setting_stops_the_app_with_a_clear_message(app, monkeypatch):
    monkeypatch.setenv("YIMEN_TRUSTED_PROXIES", "two")
    with pytest.raises(SystemExit, match="YIMEN_TRUSTED_PROXIES 应为整数"):
        _second_app(app)

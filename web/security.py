"""Response headers, cookie flags and the trusted proxy: settings a security officer checks.

- Every response carries a Content-Security-Policy, X-Frame-Options, nosniff and a
  Referrer-Policy. Scripts come only from this site's own files (no inline scripts or
  handlers anywhere in the templates).
- `YIMEN_HTTPS=1` says the app is served over HTTPS (usually behind a proxy that terminates
  TLS): session and remember-me cookies are then sent with `Secure`.
- `YIMEN_TRUSTED_PROXIES=N` says N reverse proxies stand in front of the app: werkzeug's
  ProxyFix then takes the client address (and scheme and host) from their X-Forwarded-*
  headers. Without it the socket address is used, and forwarded headers are ignored, since
  anyone could send them.
"""

from __future__ import annotations

import os

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # Styles only: bpmn-js, dmn-js and diagram-js set `style` attributes on the SVG and HTML
    # they draw (positions, colours, the canvas size) and dmn-js injects <style> for its
    # table editor. Inline *styles* cannot run code; inline scripts stay forbidden.
    "style-src 'self' 'unsafe-inline'",
    # bpmn-js draws its palette icons and markers from data: URIs.
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _proxy_hops() -> int:
    raw = os.environ.get("YIMEN_TRUSTED_PROXIES", "").strip() or "0"
    try:
        hops = int(raw)
    except ValueError:
        raise SystemExit(f"YIMEN_TRUSTED_PROXIES 应为整数（反向代理层数）：{raw!r}") from None
    if hops < 0:
        raise SystemExit("YIMEN_TRUSTED_PROXIES 不能为负数")
    return hops


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Headers on every response; Secure cookies under HTTPS; ProxyFix for N trusted hops.

    Values given to create_app() (tests) win over the environment."""
    if app.config.setdefault("YIMEN_HTTPS", _flag("YIMEN_HTTPS")):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    hops = app.config.setdefault("YIMEN_TRUSTED_PROXIES", _proxy_hops())
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    app.after_request(_add_headers)

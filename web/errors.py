"""Domain errors mapped to responses once: the contract's JSON for the API, Chinese pages else."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from engine.store.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

STATUS: list[tuple[type[DomainError], int]] = [
    (Invalid, 422),
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooManyRequests, 429),
]
HTTP_MESSAGES = {
    400: "请求格式有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面或资源不存在",
    405: "不支持该请求方法",
    413: "上传内容过大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
}
log = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _respond(code: str, message: str, status: int, fields: dict | None = None,
             back: str = ""):
    if request.path.startswith("/api/"):
        response = error_body(code, message, fields), status
        if status == 401:
            return (*response, {"WWW-Authenticate": "Bearer"})
        return response
    from flask import render_template

    page = render_template("error.html", status=status, message=message, fields=fields or {},
                           back=back)
    return page, status


def status_for(err: DomainError | type[DomainError]) -> int:
    """The HTTP status of a domain error (or of its class, for a page that finds a problem
    without raising one): pages that re-render a form take it from here too."""
    cls = err if isinstance(err, type) else type(err)
    return next(s for known, s in STATUS if issubclass(cls, known))


def is_users_fault(err: DomainError) -> bool:
    """Whether the error is the user's to fix (a 4xx) rather than a defect: a page may then
    say it and carry on instead of failing."""
    return status_for(err) < 500


def http_status(err: HTTPException) -> int:
    """The status of an error Flask or Werkzeug raised (a stale CSRF token is a 400)."""
    return err.code or 500


def domain_error(err: DomainError):
    """A page's form refused before its view ran (web/input_guard.py: a NUL byte) leads back
    to the form, where the browser's copy of what was typed comes back (static/drafts.js)."""
    status = status_for(err)
    back = _form_page() if status == 422 and request.method == "POST" else ""
    return _respond(err.code, str(err), status, getattr(err, "fields", None), back=back)


def http_error(err: HTTPException):
    status = http_status(err)
    message = HTTP_MESSAGES.get(status, err.description or "请求失败")
    if status == 413:
        return _too_large(err)
    return _respond(err.name.lower().replace(" ", "_"), message, status)


def _too_large(err: HTTPException):
    """413 names the limit (the app's MAX_CONTENT_LENGTH) and leads back to the form, whose
    values the browser kept (static/drafts.js): the body itself was never read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (f"{HTTP_MESSAGES[413]}：一次提交的内容（含附件）合计不能超过 "
               f"{limit / 1024 / 1024:g} MB。请压缩或减少附件后重新提交。")
    if request.path.startswith("/api/"):
        return _respond("request_entity_too_large", message, 413)
    back = _form_page() if request.method == "POST" else ""
    message += "已填写的内容保存在本机，返回表单即可恢复。" if back else ""
    return _respond("request_entity_too_large", message, 413, back=back)


def _form_page() -> str:
    """Where a refused page POST came from: this site's referring page, else the POST's own
    address (the form pages post to themselves); empty for the API."""
    if request.path.startswith("/api/"):
        return ""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return request.path


def internal_error(err: Exception):
    log.exception("unhandled error", exc_info=err)
    return _respond("internal", HTTP_MESSAGES[500], 500)


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, internal_error)

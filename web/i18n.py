"""Language and local time for pages: Chinese by default, English on `?lang=en`.

Message ids are the Chinese texts themselves, so the Chinese UI needs no catalogue and the
English one is `translations/en/LC_MESSAGES/messages.po` (compile with `pybabel compile`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
babel = Babel()


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        return wanted
    return session.get("lang") if session.get("lang") in LANGUAGES else DEFAULT_LOCALE


def _remember_language() -> None:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES and session.get("lang") != wanted:
        session["lang"] = wanted


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """UTC instants shown in Beijing time, the officials' wall clock."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def local_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d")
    return value.isoformat()


def due_day(value: datetime | None) -> str:
    """A deadline is the end of its last day (midnight after it): show that day, not the
    midnight, so "due 11-06" does not read as "due 11-07 00:00"."""
    if value is None:
        return ""
    return local_time(value - timedelta(seconds=1), "%Y-%m-%d")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
                   default_timezone="Asia/Shanghai")
    app.before_request(_remember_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["due_day"] = due_day
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES

    @app.context_processor
    def _language():
        return {"current_locale": select_locale()}

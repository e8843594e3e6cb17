"""Language and local time for pages: Chinese by default, English on `?lang=en`.

Message ids are the Chinese texts themselves, so the Chinese UI needs no catalogue and the
English one is `translations/en/LC_MESSAGES/messages.po` (compile with `pybabel compile`).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import Babel, get_translations
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

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
    _page_locale.set(select_locale())


def _forget_language(_exc: BaseException | None = None) -> None:
    _page_locale.set(None)


# The language the request's pages render in, chosen once at its start (as Flask-Babel's
# selector chooses it); None outside a request.
_page_locale: ContextVar[str | None] = ContextVar("yimen_page_locale", default=None)


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


# (locale, message, autoescape) -> the catalogue's text as a template gets it (Markup when
# autoescaping): catalogues do not change while the app runs.
_texts: dict[tuple[str, str, bool], str] = {}
_MAX_TEXTS = 20_000  # templates' own messages are a few hundred; text passed in is bounded too


@pass_eval_context
def page_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """A template's `_()` and `gettext()`: jinja2.ext's newstyle gettext over Flask-Babel's
    catalogue, each message looked up once per locale and process.

    Why: a page calls it hundreds of times (the inbox's rows carry a dozen labels each), and
    Flask-Babel's lookup (request context, locale, domain) on every call took a third of the
    inbox page's time; jinja2.ext's own `_` then derived a template context per call in a
    loop. The locale is the request's (`_page_locale`); outside a request the text is looked
    up the slow way. As in jinja2.ext, the text is always a format string (`%%` is `%`)."""
    locale = _page_locale.get()
    key = (locale, message, eval_ctx.autoescape)
    base = _texts.get(key) if locale is not None else None
    if base is None:
        text = get_translations().ugettext(message)
        base = Markup(text) if eval_ctx.autoescape else text
        if locale is not None:
            if len(_texts) >= _MAX_TEXTS:
                _texts.clear()
            _texts[key] = base
    # formatting with no variables changes only a text holding "%"
    return base % variables if variables or "%" in base else base


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
                   default_timezone="Asia/Shanghai")
    app.jinja_env.globals.update(gettext=page_gettext, _=page_gettext)
    app.before_request(_remember_language)
    app.teardown_request(_forget_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["due_day"] = due_day
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES

    @app.context_processor
    def _language():
        return {"current_locale": _page_locale.get() or select_locale()}

"""Signing officials in and out of the web workspace (Flask-Login), with CSRF on every form.

Browser sessions expire after 30 idle minutes: the session is permanent and re-signed on
every request, and Flask refuses a cookie older than PERMANENT_SESSION_LIFETIME.
The API keeps its bearer tokens and is exempt from CSRF.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from engine import accounts, workspace
from engine.errors import Unauthorized
from engine.models import User

from .extensions import db

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录")
login_manager.login_message_category = "info"
csrf = CSRFProtect()
auth = Blueprint("auth", __name__)
IDLE_TIMEOUT = timedelta(minutes=30)


class Official(UserMixin):
    """Flask-Login's view of an engine User; routes pass `.user` to the engine."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)


@login_manager.user_loader
def load_official(user_id: str) -> Official | None:
    try:
        user = workspace.active_user(db.session, int(user_id))
    except ValueError:
        return None
    return Official(user) if user is not None else None


@login_required
def require_login() -> None:
    """Before-request hook of the page blueprints: a visitor not signed in is sent to the
    sign-in page with `next=` the page asked for (Flask-Login's `login_required`)."""


def actor() -> User:
    """The signed-in official as the engine knows them."""
    return current_user.user


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("pages.home")


@auth.route("/login", methods=["GET", "POST"])
def login():
    """Username and password form; the engine checks the password."""
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            user = accounts.check_password(db.session, username,
                                           request.form.get("password", ""))
        except Unauthorized:
            error = _("用户名或密码错误")
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in (fixation)
            if lang:
                session["lang"] = lang
            login_user(Official(user))
            flash(_("欢迎，%(name)s", name=user.display_name or user.username), "success")
            return redirect(_safe_next(request.args.get("next")))
    elif current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username), status


@auth.post("/logout")
def logout():
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


def _csrf_refused(err: CSRFError):
    message = _("页面已过期或来源不明，请刷新页面后重试")
    return render_template("error.html", status=400, message=message, fields={}), 400


def _keep_session_fresh() -> None:
    """Idle timeout for pages; API calls (bearer tokens) and static files get no cookie."""
    if not request.path.startswith(("/api/", "/static/")):
        session.permanent = True


def init_app(app: Flask) -> None:
    # Flask's defaults are already in app.config, so setdefault would not take; a value
    # given to create_app() (anything but Flask's 31 days) is kept.
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = IDLE_TIMEOUT
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config.setdefault("WTF_CSRF_ENABLED", True)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's own lifetime bounds it
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(_keep_session_fresh)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_blueprint(auth)

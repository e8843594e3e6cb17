"""Signing officials in and out of the web workspace (Flask-Login), with CSRF on every form.

Browser sessions expire after 30 idle minutes: the session is permanent and re-signed on
every request, and Flask refuses a cookie older than PERMANENT_SESSION_LIFETIME.
A session names the user *and* their session version; sign-out and a password change bump
the version in the database, so a copied cookie stops working server-side.
A user whose password was set by an admin (or the demo) is sent to /account/password until
they choose their own. Wrong passwords lock out per the engine's rules (accounts.sign_in).
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
from flask.sessions import SecureCookieSessionInterface
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

from engine.casework import workspace
from engine.people import accounts
from engine.store.errors import Invalid, TooManyRequests, Unauthorized
from engine.store.models import User

from .errors import http_status, status_for
from .extensions import db

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录")
login_manager.login_message_category = "info"
csrf = CSRFProtect()
auth = Blueprint("auth", __name__)
IDLE_TIMEOUT = timedelta(minutes=30)
# Where a user who must still change their password may go.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.login", "static"}


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, but a request without the cookie (every bearer-token API call)
    gets its empty session without a signing serializer built for nothing."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class Official(UserMixin):
    """Flask-Login's view of an engine User; routes pass `.user` to the engine."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)


@login_manager.user_loader
def load_official(session_id: str) -> Official | None:
    """The official a session names, if that session has not been ended since."""
    user_id, _sep, version = session_id.partition(":")
    try:
        user = workspace.active_user(db.session, int(user_id))
    except ValueError:
        return None
    if user is None or version != str(user.session_version):
        return None
    return Official(user)


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


def _start_session(user: User) -> None:
    """A fresh session (against fixation) that names the user's current session version."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(Official(user))


@auth.route("/login", methods=["GET", "POST"])
def login():
    """Username and password form; the engine checks the password and the lockout."""
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            user = accounts.sign_in(db.session, username, request.form.get("password", ""),
                                    request.remote_addr or "")
        except TooManyRequests as err:
            error, status = str(err), status_for(err)
        except Unauthorized as err:
            error, status = _("用户名或密码错误"), status_for(err)
        else:
            _start_session(user)
            if user.must_change_password:
                flash(_("您正在使用初始密码，请先设置自己的新密码"), "info")
                return redirect(url_for("auth.change_password"))
            flash(_("欢迎，%(name)s", name=user.display_name or user.username), "success")
            return redirect(_safe_next(request.args.get("next")))
    elif current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    return render_template("login.html", error=error, username=username), status


@auth.post("/logout")
def logout():
    """Sign out here and wherever a copy of this session's cookie is held."""
    if current_user.is_authenticated:
        accounts.end_sessions(db.session, current_user.user)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@auth.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions and all API tokens of the user end."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            user = accounts.change_password(
                db.session, actor(), request.form.get("current_password", ""),
                request.form.get("new_password", ""), request.form.get("repeat_password", ""),
                request.remote_addr or "")
        except Invalid as err:
            errors, status = err.fields, status_for(err)
        except TooManyRequests as err:
            errors, status = {"current_password": [str(err)]}, status_for(err)
        else:
            _start_session(user)
            flash(_("密码已修改。其他设备上的登录和全部 API 令牌已失效。"), "success")
            return redirect(url_for("pages.home"))
    return render_template("account/password.html", errors=errors,
                           must_change=actor().must_change_password,
                           min_length=accounts.MIN_PASSWORD), status


def _require_password_change():
    """Until an initial password is replaced, every page leads to /account/password."""
    if request.endpoint in OPEN_WHILE_CHANGING or request.endpoint is None \
            or request.blueprint in ("api", "public"):
        return None
    if current_user.is_authenticated and current_user.user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


def _back_to(target: str | None) -> str:
    """The same-site page a refused form was sent from (path and query), else the form's own."""
    parts = urlsplit(target or "")
    if parts.netloc == request.host and parts.path.startswith("/"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path


def _csrf_refused(err: CSRFError):
    """A form sent after the session expired goes to sign-in and back to the form (whose
    values the browser kept, static/drafts.js); otherwise a stale page is refused."""
    if not current_user.is_authenticated and request.blueprint not in (None, "auth", "public"):
        flash(_("登录已超时，请重新登录。您填写的内容已保存在本机，登录后将回到原页面并恢复。"),
              "info")
        return redirect(url_for("auth.login", next=_back_to(request.referrer)))
    message = _("页面已过期或来源不明，请刷新页面后重试")
    status = http_status(err)
    return render_template("error.html", status=status, message=message, fields={}), status


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
    app.session_interface = _SessionInterface()
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(_keep_session_fresh)
    app.before_request(_require_password_change)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_blueprint(auth)

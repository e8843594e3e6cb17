"""Signing in and out, the idle timeout, and CSRF on every state-changing form."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import PASSWORD
from tests.web.conftest import csrf_token, sign_in, text


def test_pages_send_a_signed_out_visitor_to_the_login_form(world, client):
    response = client.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    page = client.get("/login")
    assert "经办人员登录" in text(page) and 'lang="zh-CN"' in text(page)


@pytest.mark.parametrize("path", ["/cases?status=running", "/designer", "/admin/overdue"])
def test_each_workspace_sends_a_signed_out_visitor_to_sign_in_and_back(world, client, path):
    """Pages, designer and admin pages share Flask-Login's login_required."""
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]
    page = client.get(response.headers["Location"])
    signed_in = client.post(response.headers["Location"], data={
        "username": "admin", "password": PASSWORD, "csrf_token": csrf_token(text(page))})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == path


def test_signing_in_lands_a_village_official_on_the_inbox(world, client):
    response = sign_in(client, "vil11")
    assert response.status_code == 302
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert "待办事项" in text(home) and "甲一村" in text(home)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(world, client):
    page = client.get("/login?next=/cases")
    token = csrf_token(text(page))
    ok = client.post("/login?next=/cases", data={"username": "vil11", "password": PASSWORD,
                                                 "csrf_token": token})
    assert ok.headers["Location"] == "/cases"
    client.post("/logout", data={"csrf_token": csrf_token(text(client.get("/cases")))})
    page = client.get("/login?next=//evil.example/x")
    off = client.post("/login?next=//evil.example/x",
                      data={"username": "vil11", "password": PASSWORD,
                            "csrf_token": csrf_token(text(page))})
    assert off.headers["Location"] == "/"


def test_a_wrong_password_is_refused_in_chinese(world, client):
    response = sign_in(client, "vil11", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response)
    assert client.get("/inbox").status_code == 302


def test_signing_out_ends_the_session(world, client):
    sign_in(client, "vil11")
    page = client.get("/inbox")
    response = client.post("/logout", data={"csrf_token": csrf_token(text(page))})
    assert response.status_code == 302
    assert "您已退出登录" in text(client.get("/login"))
    assert client.get("/inbox").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(world, client):
    refused = client.post("/login", data={"username": "vil11", "password": PASSWORD})
    assert refused.status_code == 400
    assert "请刷新页面后重试" in text(refused)
    sign_in(client, "vil11")
    assert client.post("/logout").status_code == 400
    assert client.get("/inbox").status_code == 200, "still signed in"


def test_the_api_keeps_bearer_tokens_without_csrf(world, client):
    response = client.post("/api/tokens", json={"username": "vil11", "password": PASSWORD})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_the_session_expires_after_thirty_idle_minutes_and_is_refreshed(app, world, client):
    assert app.permanent_session_lifetime == timedelta(minutes=30)
    sign_in(client, "vil11")
    response = client.get("/inbox")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Expires=" in cookie and "HttpOnly" in cookie, "each request re-signs the session"


def test_a_session_idle_for_more_than_thirty_minutes_is_signed_out(world, client, monkeypatch):
    from itsdangerous import TimestampSigner

    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 31 * 60)
    sign_in(client, "vil11")
    assert client.get("/inbox").status_code == 200, "the clock is consistent so far"
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    response = client.get("/inbox")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

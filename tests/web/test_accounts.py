"""Accounts as a security officer expects them (issue 11, point 5): lockout, password change,
expiring and revocable tokens, sessions that end server-side, and the first sign-in rule.

Every test fixes the clock, so lockout windows and token lifetimes do not depend on today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.people import accounts
from engine.store.errors import Unauthorized
from engine.store.models import LoginFailure
from engine.time import clock
from tests.factories import PASSWORD
from tests.web.conftest import BrowserClient, csrf_token, post_form, sign_in, text
from web import cli

T0 = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
STRONG = "Huangcheng-2027"
TEMPORARY = "temporary-pw"


def at(minutes: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, days=days)


def api_sign_in(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/api/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def newcomer(world):
    """A user as `yimen user add` creates them: the admin-set password must be changed."""
    return accounts.add_user(world.db, "xin", "village", "V11", TEMPORARY)


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)

    def invoke(*args, stdin=None):
        return CliRunner().invoke(cli.main, list(args), input=stdin)
    return invoke


# -- lockout ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_page_sign_in_for_fifteen_minutes(world, client):
    for minute in range(5):
        with clock.frozen(at(minute)):
            assert sign_in(client, "vil11", "wrong-password").status_code == 401
    with clock.frozen(at(5)):
        refused = sign_in(client, "vil11")  # even the right password
    assert refused.status_code == 429
    assert "密码连续输错 5 次，该账户已暂时锁定，请 14 分钟后再试" in text(refused)
    assert client.get("/inbox").status_code == 302, "not signed in"
    with clock.frozen(at(18, 0)):
        assert sign_in(client, "vil11").status_code == 429, "the 5th failure was at minute 4"
    with clock.frozen(at(19, 0) + timedelta(seconds=1)):
        assert sign_in(client, "vil11").status_code == 302
    assert client.get("/inbox").status_code == 200


def test_the_api_answers_429_with_the_contracts_error_json_and_other_users_still_sign_in(
        world, client):
    with clock.frozen(at()):
        for _ in range(5):
            assert api_sign_in(client, "vil11", "wrong").status_code == 401
        locked = api_sign_in(client, "vil11", PASSWORD)
        other = api_sign_in(client, "vil12", PASSWORD)
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "too_many_requests"
    assert "该账户已暂时锁定" in locked.json["error"]["message"]
    assert locked.json["error"]["fields"] == {}
    assert other.status_code == 201


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(world, client):
    for minute in (0, 4, 8, 12, 16):
        with clock.frozen(at(minute)):
            assert api_sign_in(client, "vil11", "wrong").status_code == 401
    with clock.frozen(at(16.5)):
        assert api_sign_in(client, "vil11", PASSWORD).status_code == 201


def test_a_successful_sign_in_clears_the_count(world, client):
    with clock.frozen(at()):
        for _ in range(4):
            api_sign_in(client, "vil11", "wrong")
        assert api_sign_in(client, "vil11", PASSWORD).status_code == 201
        for _ in range(4):
            api_sign_in(client, "vil11", "wrong")
        assert api_sign_in(client, "vil11", PASSWORD).status_code == 201


def test_unknown_and_impossible_usernames_lock_too_without_a_server_error(world, client):
    with clock.frozen(at()):
        for _ in range(5):
            assert api_sign_in(client, "nobody", "wrong").status_code == 401
        assert api_sign_in(client, "nobody", "wrong").status_code == 429
        assert api_sign_in(client, "a\x00b", "wrong", "10.0.0.9").status_code == 422  # input guard
        assert api_sign_in(client, "x" * 2000, "wrong", "10.0.0.9").status_code == 401


def test_fifty_failures_from_one_address_lock_that_address_only(world, client):
    with clock.frozen(at()):
        for i in range(50):
            # a different username each time: the per-user limit is never reached
            assert api_sign_in(client, f"guess{i}", "wrong", "198.51.100.7").status_code == 401
        refused = api_sign_in(client, "vil11", PASSWORD, "198.51.100.7")
        elsewhere = api_sign_in(client, "vil11", PASSWORD, "198.51.100.8")
    assert refused.status_code == 429
    assert "该地址登录失败次数过多" in refused.json["error"]["message"]
    assert elsewhere.status_code == 201
    with clock.frozen(at(15, 0) + timedelta(seconds=1)):
        assert api_sign_in(client, "vil11", PASSWORD, "198.51.100.7").status_code == 201


def test_failures_are_kept_in_the_database_for_every_worker_and_pruned_after_a_day(world, client):
    with clock.frozen(at()):
        api_sign_in(client, "vil11", "wrong", "192.0.2.1")
    rows = world.db.scalars(select(LoginFailure)).all()
    assert [(r.username, r.address, clock.as_utc(r.at)) for r in rows] == [
        ("vil11", "192.0.2.1", at())]
    with clock.frozen(at(days=2)):
        api_sign_in(client, "vil12", "wrong", "192.0.2.1")
    assert [r.username for r in world.db.scalars(select(LoginFailure))] == ["vil12"]


# -- changing one's password, the first sign-in rule ------------------------------------------


def test_a_new_users_first_sign_in_leads_to_the_password_page_until_changed(world, newcomer,
                                                                          client):
    landed = sign_in(client, "xin", TEMPORARY)
    assert landed.headers["Location"] == "/account/password"
    page = client.get("/account/password")
    assert "须先设置自己的新密码" in text(page)
    assert client.get("/inbox").headers["Location"] == "/account/password"
    assert client.get("/cases").headers["Location"] == "/account/password"
    changed = post_form(client, "/account/password", {
        "current_password": TEMPORARY, "new_password": STRONG, "repeat_password": STRONG})
    assert changed.status_code == 302 and changed.headers["Location"] == "/"
    home = client.get("/inbox")
    assert home.status_code == 200 and "密码已修改" in text(home)
    with pytest.raises(Unauthorized):
        accounts.check_password(world.db, "xin", TEMPORARY)
    assert accounts.check_password(world.db, "xin", STRONG).must_change_password is False


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"current_password": "not-it", "new_password": STRONG, "repeat_password": STRONG},
     "current_password", "当前密码不正确"),
    ({"current_password": TEMPORARY, "new_password": "Short-1", "repeat_password": "Short-1"},
     "new_password", "密码至少 10 位"),
    ({"current_password": TEMPORARY, "new_password": "onlylowercase", "repeat_password":
      "onlylowercase"}, "new_password", "至少三类"),
    ({"current_password": TEMPORARY, "new_password": "Xin-2027-abc", "repeat_password":
      "Xin-2027-abc"}, "new_password", "密码不能包含用户名"),
    ({"current_password": TEMPORARY, "new_password": "Yimen2026!!", "repeat_password":
      "Yimen2026!!"}, "new_password", "不能使用演示密码或常见密码"),
    ({"current_password": TEMPORARY, "new_password": STRONG, "repeat_password": STRONG + "x"},
     "repeat_password", "两次输入的新密码不一致"),
])
def test_a_refused_change_says_why_in_chinese_and_changes_nothing(world, newcomer, client,
                                                                  fields, field, message):
    sign_in(client, "xin", TEMPORARY)
    with clock.frozen(at()):
        refused = post_form(client, "/account/password", fields)
    assert refused.status_code == 422
    body = text(refused)
    assert message in body and f'id="{field}-error"' in body
    assert accounts.by_username(world.db, "xin").must_change_password
    assert accounts.check_password(world.db, "xin", TEMPORARY).username == "xin"


def test_the_password_page_needs_csrf_and_a_signed_in_user(world, client):
    assert client.get("/account/password").headers["Location"].startswith("/login")
    sign_in(client, "vil11")
    refused = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": STRONG, "repeat_password": STRONG})
    assert refused.status_code == 400
    assert accounts.check_password(world.db, "vil11", PASSWORD)


def test_wrong_current_passwords_on_the_change_page_count_towards_the_lockout(world, client):
    sign_in(client, "vil11")
    for minute in range(5):
        with clock.frozen(at(minute)):
            post_form(client, "/account/password", {
                "current_password": "guess", "new_password": STRONG, "repeat_password": STRONG})
    with clock.frozen(at(5)):
        refused = post_form(client, "/account/password", {
            "current_password": PASSWORD, "new_password": STRONG, "repeat_password": STRONG})
    assert refused.status_code == 429 and "该账户已暂时锁定" in text(refused)


def test_a_password_change_ends_other_sessions_and_tokens_but_keeps_this_one(world, app,
                                                                             client):
    other = BrowserClient(app, app.response_class, use_cookies=True)
    sign_in(other, "vil11")
    assert other.get("/inbox").status_code == 200
    token = api_sign_in(client, "vil11", PASSWORD).json["token"]
    sign_in(client, "vil11")
    post_form(client, "/account/password", {
        "current_password": PASSWORD, "new_password": STRONG, "repeat_password": STRONG})
    assert client.get("/inbox").status_code == 200
    assert other.get("/inbox").headers["Location"].startswith("/login")
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert api_sign_in(client, "vil11", STRONG).status_code == 201


def test_a_temporary_password_gets_a_token_but_no_page(newcomer, client):
    """The API serves scripts, as the contract promises; the pages still ask for the change."""
    granted = api_sign_in(client, "xin", TEMPORARY)
    assert granted.status_code == 201 and set(granted.json) == {"token", "expires_at"}
    assert api_sign_in(client, "xin", "wrong-one").status_code == 401
    sign_in(client, "xin", TEMPORARY)
    assert client.get("/inbox").headers["Location"].startswith("/account/password")


def test_cli_user_add_and_passwd_set_a_password_that_must_be_changed(world, run, client):
    added = run("user", "add", "li", "--role", "village", "--org", "V11", "--password-stdin",
                stdin="first-temp-pw\n")
    assert added.exit_code == 0, added.output
    db = world.db
    li = accounts.by_username(db, "li")
    assert li.must_change_password
    accounts.change_password(db, li, "first-temp-pw", STRONG, STRONG, "127.0.0.1")
    token = accounts.issue_token(db, li)
    sign_in(client, "li", STRONG)
    assert client.get("/inbox").status_code == 200
    reset = run("user", "passwd", "li", "--password-stdin", stdin="second-temp-pw\n")
    assert reset.exit_code == 0 and "下次登录时须修改密码" in reset.output
    db.expire_all()  # the CLI wrote in a session of its own; a server request starts fresh
    assert client.get("/inbox").headers["Location"].startswith("/login"), "sessions ended"
    assert client.get("/api/me", headers=bearer(token)).status_code == 401, "tokens revoked"
    assert sign_in(client, "li", "second-temp-pw").headers["Location"] == "/account/password"
    prompted = run("user", "passwd", "li", stdin="third-temp-pw\nthird-temp-pw\n")
    assert prompted.exit_code == 0, prompted.output
    assert "third-temp-pw" not in prompted.output
    db.expire_all()
    assert accounts.check_password(db, "li", "third-temp-pw").must_change_password
    short = run("user", "passwd", "li", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "密码至少 8 位" in short.output
    missing = run("user", "passwd", "nobody", "--password-stdin", stdin="long-enough-1\n")
    assert missing.exit_code == 1 and "用户 nobody 不存在" in missing.output


def test_an_admin_reset_lifts_a_lockout(world, run, client):
    with clock.frozen(at()):
        for _ in range(5):
            api_sign_in(client, "vil11", "wrong")
        assert api_sign_in(client, "vil11", PASSWORD).status_code == 429
        run("user", "passwd", "vil11", "--password-stdin", stdin="reset-by-admin\n")
        assert sign_in(client, "vil11", "reset-by-admin").status_code == 302


@pytest.mark.parametrize(("password", "ok"), [
    ("Huangcheng-2027", True), ("huangcheng-2027", True), ("HUANGCHENG2027x", True),
    ("临淄区皇城镇2027a", True), ("Abc-12345", False), ("huangchengzhen", False),
    ("1234567890123", False), ("yimen2026ABC!", False), ("P@ssw0rd123", False),
    ("myVIL11-account", False),
])
def test_password_strength(password, ok):
    assert (accounts.password_problems("vil11", password) == []) is ok


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_expire_after_thirty_days_by_default(world, client):
    with clock.frozen(at()):
        issued = api_sign_in(client, "vil11", PASSWORD)
    assert issued.status_code == 201
    assert set(issued.json) == {"token", "expires_at"}
    assert datetime.fromisoformat(issued.json["expires_at"]) == at(days=30)
    token = issued.json["token"]
    with clock.frozen(at(days=30) - timedelta(seconds=1)):
        assert client.get("/api/me", headers=bearer(token)).status_code == 200
    with clock.frozen(at(days=30)):
        expired = client.get("/api/me", headers=bearer(token))
    assert expired.status_code == 401 and expired.json["error"]["message"] == "令牌无效或已失效"
    with clock.frozen(at(days=800)):
        assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_cli_tokens_take_days_and_revoke_every_token_of_a_user(world, run, client):
    with clock.frozen(at()):
        short = run("token", "vil11", "--days", "2")
        default = run("token", "vil11")
        other = run("token", "vil12")
    assert short.exit_code == default.exit_code == 0
    short_token, long_token = short.output.strip(), default.output.strip()
    assert len(short.output.splitlines()) == 1, "the token and nothing else"
    with clock.frozen(at(days=2, minutes=1)):
        assert client.get("/api/me", headers=bearer(short_token)).status_code == 401
        assert client.get("/api/me", headers=bearer(long_token)).status_code == 200
        revoked = run("token", "revoke", "vil11")
        assert revoked.exit_code == 0 and "vil11" in revoked.output
        assert client.get("/api/me", headers=bearer(long_token)).status_code == 401
        assert client.get("/api/me", headers=bearer(other.output.strip())).status_code == 200
    for bad in (("token", "vil11", "--days", "0"), ("token", "vil11", "--days", "366")):
        res = run(*bad)
        assert res.exit_code == 1 and "有效期应为 1–365 天" in res.output
    assert run("token", "revoke", "nobody").exit_code == 1
    assert run("token", "a", "b", "c").exit_code == 2


def test_delete_tokens_current_revokes_only_the_token_used(world, client):
    first = api_sign_in(client, "vil11", PASSWORD).json["token"]
    second = api_sign_in(client, "vil11", PASSWORD).json["token"]
    gone = client.delete("/api/tokens/current", headers=bearer(first))
    assert gone.status_code == 204
    assert client.get("/api/me", headers=bearer(first)).status_code == 401
    assert client.delete("/api/tokens/current", headers=bearer(first)).status_code == 401
    assert client.get("/api/me", headers=bearer(second)).status_code == 200
    assert client.delete("/api/tokens/current").status_code == 401


# -- sessions --------------------------------------------------------------------------------


def test_a_session_cookie_captured_before_sign_out_no_longer_opens_the_inbox(world, app,
                                                                            client):
    sign_in(client, "vil11")
    assert client.get("/inbox").status_code == 200
    captured = client.get_cookie("session").value
    page = client.get("/inbox")
    client.post("/logout", data={"csrf_token": csrf_token(text(page))})
    thief = BrowserClient(app, app.response_class, use_cookies=True)
    thief.set_cookie("session", captured)
    assert thief.get("/inbox").headers["Location"].startswith("/login")


def test_demo_users_sign_in_with_the_demo_password_and_are_then_asked_to_change_it(
        db, csrf_on, client):
    from engine import demo

    with clock.frozen(datetime(2026, 11, 2, 1, 0, tzinfo=UTC)):  # inside the seeded calendar
        assert demo.load(db)
    landed = sign_in(client, "heyatou", demo.PASSWORD)
    assert landed.status_code == 302 and landed.headers["Location"] == "/account/password"
    assert "不能使用演示密码或常见密码" in accounts.password_problems("heyatou", demo.PASSWORD)
    refused = post_form(client, "/account/password", {
        "current_password": demo.PASSWORD, "new_password": demo.PASSWORD + "!A",
        "repeat_password": demo.PASSWORD + "!A"})
    assert refused.status_code == 422 and "不能使用演示密码或常见密码" in text(refused)

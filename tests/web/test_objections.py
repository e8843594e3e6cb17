"""Objections reach the case's officials (never the public), are answered once, and are
rate-limited per client address, as resolved behind a trusted proxy."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.casework import cases, notices
from engine.store.models import AuditEvent, Notice, Objection
from engine.time import clock
from tests.factories import PASSWORD, open_task, walk
from tests.web.conftest import household, post_form, sign_in, text
from web import create_app
from web.extensions import db as flask_db

REASON = "该户儿子在县城开超市，收入未申报"
NAME = "李四邻"
CONTACT = "13912345678"


def under_notice(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(), now=clock.now())
    walk(world, case.id, ["approve"], clock.now())
    return case, world.db.scalar(select(Notice).where(Notice.case_id == case.id))


def objected(world, client):
    """A case whose village notice drew an objection from the public, with name and contact."""
    case, notice = under_notice(world)
    response = client.post(f"/api/notices/{notice.id}/objections",
                           json={"reason": REASON, "contact": CONTACT, "name": NAME})
    assert response.status_code == 201
    objection = world.db.scalar(select(Objection).where(Objection.case_id == case.id))
    return case, notice, objection


def token(client, username: str) -> dict[str, str]:
    response = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_officials_of_the_case_see_reason_name_and_contact_on_its_pages(world, client):
    case, notice, _ = objected(world, client)
    task = open_task(world.db, case.id)
    assert task.step == "village_evaluation", "the objection sent the case back"
    sign_in(client, "vil11")
    for url in (f"/cases/{case.id}", f"/tasks/{task.id}"):
        page = text(client.get(url))
        assert REASON in page and NAME in page and CONTACT in page, url
        assert f"/cases/{case.id}/objections/" in page, "a reply form"
    sign_in(client, "town2")
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_the_public_never_sees_the_objection(world, client):
    case, notice, _ = objected(world, client)
    other, open_notice = under_notice(world)  # an open notice at the same village
    world.db.add(Objection(notice_id=open_notice.id, case_id=other.id, at=clock.now(),
                           name=NAME, contact=CONTACT, reason=REASON, client_key="k"))
    world.db.commit()
    for url in ("/public/V11", "/public/T1", f"/public/notices/{open_notice.id}/object",
                "/api/notices?org=V11", "/api/notices?org=D1"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = text(response)
        assert open_notice.name in body or "proposed_amount" in body, url
        for secret in (REASON, NAME, CONTACT):
            assert secret not in body, (url, secret)


def test_the_case_api_lists_objections_for_its_officials(world, client):
    case, notice, objection = objected(world, client)
    response = client.get(f"/api/cases/{case.id}", headers=token(client, "town1"))
    assert response.status_code == 200
    assert response.get_json()["objections"] == [{
        "id": objection.id, "notice": notice.name, "step": "village_notice",
        "at": clock.as_utc(objection.at).isoformat(), "reason": REASON, "name": NAME,
        "contact": CONTACT, "routed": True, "reply": None}]
    assert client.get(f"/api/cases/{case.id}",
                      headers=token(client, "town2")).status_code == 404


def test_an_official_replies_on_the_page_and_the_reply_is_in_the_history(world, client):
    case, _, objection = objected(world, client)
    task = open_task(world.db, case.id)
    sign_in(client, "vil11")
    url = f"/cases/{case.id}/objections/{objection.id}/reply"
    empty = post_form(client, url, {"text": "  "}, page_url=f"/cases/{case.id}")
    assert empty.status_code == 422 and "请填写答复内容" in text(empty)
    world.db.refresh(objection)
    assert objection.reply is None
    answer = "已入户核实，超市为其子单独经营，收入已补充申报"
    response = post_form(client, url, {"text": answer, "task": str(task.id)},
                         page_url=f"/tasks/{task.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/tasks/{task.id}")
    world.db.refresh(objection)
    assert (objection.reply, objection.replied_by.username) == (answer, "vil11")
    page = text(client.get(f"/cases/{case.id}"))
    assert "答复异议" in page and page.count(answer) == 2  # the objection card and the history
    event = world.db.scalar(select(AuditEvent).where(AuditEvent.action == "objection.replied"))
    assert (event.case_id, event.actor_name, event.comment) == (case.id, "vil11", answer)
    again = post_form(client, url, {"text": "再答复"}, page_url=f"/cases/{case.id}")
    assert again.status_code == 409


def test_an_official_replies_through_the_api(world, client):
    case, _, objection = objected(world, client)
    url = f"/api/cases/{case.id}/objections/{objection.id}/reply"
    town2 = token(client, "town2")
    assert client.post(url, headers=town2, json={"text": "x"}).status_code == 404
    town1 = token(client, "town1")
    missing = client.post(url, headers=town1, json={})
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"] == {
        "text": ["请填写答复内容"]}
    too_long = client.post(url, headers=town1, json={"text": "长" * 2001})
    assert too_long.status_code == 422
    for bad in (f"/api/cases/{case.id}/objections/999999/reply",
                f"/api/cases/{case.id}/objections/{2**40}/reply",
                f"/api/cases/{2**40}/objections/{objection.id}/reply"):
        assert client.post(bad, headers=town1, json={"text": "x"}).status_code == 404
    response = client.post(url, headers=town1, json={"text": "经核实，异议不成立"})
    assert response.status_code == 200
    assert response.get_json()["reply"]["text"] == "经核实，异议不成立"
    assert response.get_json()["reply"]["by"] == "town1"
    history = client.get(f"/api/cases/{case.id}", headers=town1).get_json()["history"]
    assert {"action": "objection.replied", "actor": "town1", "comment": "经核实，异议不成立"} \
        .items() <= history[-1].items()
    assert client.post(url, headers=town1, json={"text": "again"}).status_code == 409


def fill_the_limit(world, notice, address: str) -> None:
    for _ in range(notices.OBJECTIONS_PER_HOUR):
        world.db.add(Objection(notice_id=notice.id, case_id=notice.case_id, at=clock.now(),
                               contact="x", reason="y", client_key=notices.client_key(address)))
    world.db.commit()


@pytest.fixture
def proxied(app):
    """The same database behind a trusted reverse proxy (YIMEN_TRUSTED_PROXIES=1)."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                        "YIMEN_TRUSTED_PROXIES": 1})
    yield other.test_client()
    with other.app_context():
        flask_db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(world, proxied):
    _, notice = under_notice(world)
    fill_the_limit(world, notice, "203.0.113.5")
    url = f"/api/notices/{notice.id}/objections"
    body = {"reason": REASON, "contact": CONTACT}
    limited = proxied.post(url, json=body, headers={"X-Forwarded-For": "203.0.113.5"})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["message"] == "提交过于频繁，请一小时后再试"
    other = proxied.post(url, json=body, headers={"X-Forwarded-For": "198.51.100.7"})
    assert other.status_code == 201
    saved = world.db.scalars(select(Objection.client_key).where(
        Objection.reason == REASON)).all()
    assert saved == [notices.client_key("198.51.100.7")]


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(world, client):
    _, notice = under_notice(world)
    fill_the_limit(world, notice, "127.0.0.1")
    response = client.post(f"/api/notices/{notice.id}/objections",
                           json={"reason": REASON, "contact": CONTACT},
                           headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 429
    assert json.dumps(response.get_json(), ensure_ascii=False).count("频繁") == 1

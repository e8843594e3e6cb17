"""Public notice pages: no login, nothing personal shown, objections with inline errors."""

from __future__ import annotations

from sqlalchemy import select

from engine.casework import cases, notices
from engine.store.models import Notice, Objection
from engine.time import clock
from tests.factories import valid_application, walk
from tests.web.conftest import csrf_token, post_form, text
from web.i18n import LOCAL_TZ


def under_notice(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=clock.now())
    walk(world, case.id, ["approve"], clock.now())
    notice = world.db.scalar(select(Notice).where(Notice.case_id == case.id))
    return case, notice


def personal_data(application: dict) -> list[str]:
    """What a notice must never show: ID numbers, phone, address, members' incomes."""
    found = [application["head_id_number"], application["head_phone"], application["address"]]
    found += [m["id_number"] for m in application["members"]]
    for income in application["incomes"]:
        amount = float(income["amount"])
        found += [f"{amount:g}", f"{amount:.2f}", f"{amount:,.2f}"]
    return found


def test_the_notice_list_needs_no_login_and_shows_nothing_personal(world, client):
    case, notice = under_notice(world)
    page = client.get("/public/V11")
    html = text(page)
    assert page.status_code == 200
    assert "王建国" in html and notice.name in html
    assert "3人" in html
    assert f"/public/notices/{notice.id}/object" in html
    for secret in personal_data(valid_application()):
        assert secret not in html, secret
    assert "退出" not in html and "/login" not in html, "no officials' navigation"
    assert "public-print.css" in html and 'media="print"' in html
    start, end = (clock.as_utc(t).astimezone(LOCAL_TZ).date()
                  for t in (notice.starts_at, notice.ends_at))
    period = f"{start.year}年{start.month}月{start.day}日 至 {end.year}年{end.month}月{end.day}日"
    assert period in html


def test_a_township_lists_its_villages_notices_and_an_unknown_org_is_404(world, client):
    under_notice(world)
    assert "王建国" in text(client.get("/public/T1"))
    assert "王建国" not in text(client.get("/public/V12"))
    missing = client.get("/public/NOPE")
    assert missing.status_code == 404
    assert "不存在" in text(missing) and "/login" not in text(missing)


def test_an_objection_with_missing_fields_shows_inline_errors_and_keeps_what_was_typed(
        world, client):
    _case, notice = under_notice(world)
    url = f"/public/notices/{notice.id}/object"
    form = client.get(url)
    assert form.status_code == 200 and 'name="csrf_token"' in text(form)
    for secret in personal_data(valid_application()):
        assert secret not in text(form), secret
    response = post_form(client, url, {"reason": "", "contact": "13900001111", "name": "张三"})
    html = text(response)
    assert response.status_code == 422
    assert "请填写异议理由" in html
    assert 'value="13900001111"' in html and 'value="张三"' in html
    assert world.db.scalar(select(Objection)) is None


def test_an_objection_is_received_with_a_thank_you(world, client):
    _case, notice = under_notice(world)
    url = f"/public/notices/{notice.id}/object"
    response = post_form(client, url, {"reason": "该户有子女在城里工作，收入未申报",
                                       "contact": "13900001111"})
    assert response.status_code == 200
    assert "感谢" in text(response)
    objection = world.db.scalar(select(Objection))
    assert (objection.notice_id, objection.contact) == (notice.id, "13900001111")
    assert objection.reason == "该户有子女在城里工作，收入未申报"


def test_an_objection_without_the_csrf_token_is_refused(world, client):
    _case, notice = under_notice(world)
    response = client.post(f"/public/notices/{notice.id}/object",
                           data={"reason": "理由", "contact": "电话"})
    assert response.status_code == 400
    assert world.db.scalar(select(Objection)) is None


def test_too_many_objections_from_one_address_get_the_rate_limit_message(world, client):
    case, notice = under_notice(world)
    key = notices.client_key("127.0.0.1")
    for _ in range(notices.OBJECTIONS_PER_HOUR):
        world.db.add(Objection(notice_id=notice.id, case_id=case.id, at=clock.now(),
                               contact="x", reason="y", client_key=key))
    world.db.commit()
    url = f"/public/notices/{notice.id}/object"
    page = client.get(url)
    response = client.post(url, data={"reason": "理由", "contact": "电话",
                                      "csrf_token": csrf_token(text(page))})
    assert response.status_code == 429
    assert "一小时后再试" in text(response)
    assert 'value="电话"' in text(response)


def test_a_notice_before_any_amount_says_to_be_determined_as_its_poster_does(world, client):
    _case, notice = under_notice(world)
    assert notice.proposed_amount is None  # the village notice comes before the tables run
    listed = text(client.get("/public/V11"))
    row = listed.split(notice.name, 1)[0].rsplit("<tr", 1)[1]
    assert "待核定" in row and "—" not in row
    assert "待核定" in text(client.get(f"/public/notices/{notice.id}/object"))
    assert "待核定" in text(client.get("/public/V11/poster"))

"""Print documents over HTTP: the 审核确认表, the 不予认定告知书 and the 公示 poster, their
scope, what they must never show, and a bundle's own wording rendered in the sandbox."""

from __future__ import annotations

from engine.casework import cases, tasks
from engine.time import clock
from engine.workflow import procedures
from tests.factories import LINZI, make_world, open_task, valid_step_data, walk
from tests.web.conftest import household, sign_in, text
from tests.web.test_public import personal_data

NAMES = {"vil11": "陈村干", "town1": "刘镇审", "dist": "周区批", "assess": "吴评估"}


def named_world(db):
    world = make_world(db)
    for username, name in NAMES.items():
        world.user(username).display_name = name
    db.commit()
    return world


def start(world, application=None):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application or household(), now=clock.now())


def test_the_confirmation_sheet_prints_the_household_every_step_and_signature_lines(
        db, client, csrf_on):
    world = named_world(db)
    application = household()
    case = start(world, application)
    walk(world, case.id, ["approve", "approve"], clock.now())
    sign_in(client, "town1")
    page = client.get(f"/cases/{case.id}/print")
    html = text(page)
    assert page.status_code == 200
    assert "document.css" in html and "mainnav" not in html, "no navigation in print"
    assert "测试区最低生活保障和扶贫对象审核确认表" in html
    assert application["head_id_number"] in html and "13805331234" in html
    for member in ("王建国", "李秀英", "王小明", "配偶", "部分丧失劳动能力"):
        assert member in html
    assert "家庭经营净收入" in html and "6,800.00" in html and "1,680.50" in html
    # 6800 counted (the 1680.50 basic pension is not); / 12 months / 3 people = 188.89
    assert "家庭年收入合计 6,800.00 元，月人均收入 188.89 元" in html
    assert "自建砖瓦房3间" in html and "50,000.00" in html
    # each step named, with its result in its form's words, its official by name, its date
    assert "村级评议推荐" in html and "镇（街道）审核" in html
    assert "陈村干" in html and "刘镇审" in html
    assert "vil11" not in html and "town1" not in html, "names, never user names"
    assert "经入户调查，家庭收入情况与申报一致。" in html
    assert "approve" not in html
    assert "2026年6月1日" in html
    assert "审批人（签字）" in html and 'class="sign"' in html
    assert "村级公示" in html and "期满无异议" in html


def test_the_confirmation_sheet_names_the_district_result_as_its_form_does(db, client, csrf_on):
    world = named_world(db)
    case = start(world)
    walk(world, case.id, ["approve"] * 5, clock.now())
    sign_in(client, "dist")
    html = text(client.get(f"/cases/{case.id}/print"))
    assert '<td>区主管部门核查审批</td><td class="nw">测试区</td><td class="nw">批准</td>' in html
    assert "月补差金额（元）：420.00" in html and "认定类别：困难家庭" in html
    assert "周区批" in html and "吴评估" in html


def test_another_townships_official_gets_404_for_every_case_document(db, client, csrf_on):
    world = named_world(db)
    case = start(world)
    walk(world, case.id, ["reject"], clock.now())
    sign_in(client, "town2")
    for path in ("print", "refusal-notice"):
        page = client.get(f"/cases/{case.id}/{path}")
        assert page.status_code == 404, path
        assert "王建国" not in text(page)
    sign_in(client, "town1")
    assert client.get(f"/cases/{case.id}/refusal-notice").status_code == 200


def test_the_refusal_notice_states_reasons_legal_basis_and_remedies(db, client, csrf_on):
    world = named_world(db)
    case = start(world)
    walk(world, case.id, ["approve", "reject"], clock.now())  # the township refuses
    sign_in(client, "town1")
    page = client.get(f"/cases/{case.id}/refusal-notice")
    html = text(page)
    assert page.status_code == 200
    assert "不予认定告知书" in html and "王建国（甲镇甲一村）：" in html
    # walk lets the 7-day village notice run out (8 days) before the township decides
    assert ("于2026年6月1日提出的临淄区困难家庭识别认定申请，"
            "经甲镇审核，于2026年6月9日决定不予认定") in html
    reason = "<ol>\n<li>材料不全，需补充家庭收入证明。</li></ol>"
    assert reason in html, "the reason, not the opinion"
    assert "《社会救助暂行办法》" in html and "民发〔2021〕57号" in html
    assert "六十日内向测试区人民政府申请行政复议" in html
    assert "六个月内依法向测试区人民法院提起行政诉讼" in html
    assert "测试区民政局（盖章）" in html and "送达回证" in html
    assert "12345" in html, "the shared default hotline"
    assert f'href="/cases/{case.id}/refusal-notice"' in text(client.get(f"/cases/{case.id}"))


def test_a_case_not_refused_has_no_refusal_notice_and_says_why(db, client, csrf_on):
    world = named_world(db)
    case = start(world)
    sign_in(client, "town1")
    page = client.get(f"/cases/{case.id}/refusal-notice")
    assert page.status_code == 404
    assert "该案件没有不予认定决定" in text(page)
    assert "refusal-notice" not in text(client.get(f"/cases/{case.id}"))
    assert f'href="/cases/{case.id}/print"' in text(client.get(f"/cases/{case.id}"))
    english = text(client.get(f"/cases/{case.id}/print?lang=en"))
    assert ">Print</button>" in english and "‹ Back" in english


def test_the_poster_is_public_per_village_and_shows_no_personal_data(db, client, csrf_on):
    world = named_world(db)
    application = household()
    case = start(world, application)
    at = walk(world, case.id, ["approve"], clock.now())
    other = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V12",
                        household(head_name="赵大山"), now=at)
    tasks.complete(db, world.user("vil12"), open_task(db, other.id).id,
                   valid_step_data("village_evaluation"), now=at)
    page = client.get("/public/T1/poster")
    html = text(page)
    assert page.status_code == 200 and "/login" not in html
    assert html.count('<section class="sheet">') == 2, "one sheet per village"
    assert "甲一村困难家庭认定公示" in html and "甲二村困难家庭认定公示" in html
    assert "王建国" in html and "赵大山" in html and "3人" in html
    assert "公示期：</strong>2026年6月1日至2026年6月8日" in html
    assert "甲一村村民委员会（盖章）" in html
    assert "监督电话：12345" in html
    assert "在线提出异议：http://localhost/public/V11" in html
    for secret in personal_data(application):
        assert secret not in html, secret
    assert "/public/T1/poster" in text(client.get("/public/T1"))
    empty = client.get("/public/T2/poster")
    assert empty.status_code == 200 and "当前没有正在公示的事项" in text(empty)
    assert client.get("/public/NOPE/poster").status_code == 404


def bundle_with(documents: dict[str, str]) -> dict[str, bytes]:
    files = procedures.read_bundle_dir(LINZI)
    files.update({f"documents/{name}": body.encode() for name, body in documents.items()})
    return files


def test_a_bundles_own_wording_and_facts_print_and_stay_with_the_version(db, client, csrf_on):
    world = named_world(db)
    procedures.deploy(db, None, "D1", bundle_with({
        "facts.yaml": "hotline: 0533-7777777\nreview_body: 测试市人民政府\n",
        "refusal_notice.html": "<h1>{{ places.district }}告知书</h1><p>{{ reasons|join('；') }}"
                               "</p><p>复议：{{ facts.review_body }}，电话 {{ facts.hotline }}</p>",
    }))
    case = start(world)
    walk(world, case.id, ["approve", "reject"], clock.now())
    sign_in(client, "town1")
    html = text(client.get(f"/cases/{case.id}/refusal-notice"))
    assert "<h1>测试区告知书</h1>" in html
    assert "复议：测试市人民政府，电话 0533-7777777" in html
    assert "材料不全" in html
    # the version keeps its wording: a later deploy without it does not change this case
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(LINZI))
    assert "<h1>测试区告知书</h1>" in text(client.get(f"/cases/{case.id}/refusal-notice"))


def test_designer_text_is_sandboxed_and_escaped_and_a_failing_template_falls_back(
        db, client, csrf_on):
    world = named_world(db)
    procedures.deploy(db, None, "D1", bundle_with({
        "refusal_notice.html": "{{ case.__class__.__mro__ }}",
        "confirmation_sheet.html": "<p>{{ household.head_name }}</p>",
    }))
    case = start(world, household(head_name="<b>王</b>"))
    walk(world, case.id, ["reject"], clock.now())
    sign_in(client, "town1")
    sheet = text(client.get(f"/cases/{case.id}/print"))
    assert "<p>&lt;b&gt;王&lt;/b&gt;</p>" in sheet, "data is escaped"
    page = client.get(f"/cases/{case.id}/refusal-notice")
    html = text(page)
    assert page.status_code == 200
    assert "&lt;class" not in html and "<class" not in html
    assert "本地区的不予认定告知书模板有误" in html and "已按默认模板显示" in html
    assert "六十日内" in html, "the default wording printed instead"


def test_a_bundle_template_that_would_run_for_ever_is_stopped_and_falls_back(
        db, client, csrf_on):
    """Nested loops with an empty body call nothing the sandbox sees: only the time bound
    stops them (100,000⁴ iterations would otherwise run for ages)."""
    world = named_world(db)
    forever = ("{% for a in range(100000) %}{% for b in range(100000) %}"
               "{% for c in range(100000) %}{% for d in range(100000) %}"
               "{% endfor %}{% endfor %}{% endfor %}{% endfor %}")
    procedures.deploy(db, None, "D1", bundle_with({
        "confirmation_sheet.html": forever,
        "refusal_notice.html": "{% for a in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
    }))
    case = start(world)
    walk(world, case.id, ["reject"], clock.now())
    sign_in(client, "town1")
    sheet = text(client.get(f"/cases/{case.id}/print"))
    assert "本地区的审核确认表模板有误（TemplateTooCostly: 运行超过 2 秒）" in sheet
    notice = text(client.get(f"/cases/{case.id}/refusal-notice"))
    assert "TemplateTooCostly: 输出超过 2000000 个字符" in notice
    assert "六十日内" in notice, "the default wording printed instead"

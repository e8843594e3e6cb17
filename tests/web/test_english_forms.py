"""With ?lang=en the forms read in English: every label, legend, option, hint and heading of a
task form (and of the earlier steps and the application shown beside it) and of the intake
form comes from the form files' English texts or the English catalogue, and steps are named
by their nameEn; no Chinese is left in them. Names, IDs and other typed values are data and
stay as typed."""

from __future__ import annotations

import html
import re

from engine.casework import cases
from tests.factories import after_notice, open_task, walk
from tests.web.conftest import household, sign_in, text

ENGLISH_APPLICATION = "Application for dibao and poverty relief"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# What the form macros draw as labels (web/templates/_form.html), plus headings and titles.
LABELS = re.compile(
    r"<(label|legend|option|dt|th|h2|h3|summary|title)\b[^>]*>(.*?)</\1>"
    r"|<p class=\"help\">(.*?)</p>|data-label=\"([^\"]*)\"", re.S)


def labels(page: str) -> list[str]:
    found = []
    for match in LABELS.finditer(page):
        raw = next(g for g in match.groups()[1:] if g is not None)
        # a select inside a label, and <small>, hold data here (villages, the village name)
        raw = re.sub(r"<(select|small)\b.*?</\1>", " ", raw, flags=re.S)
        shown = html.unescape(re.sub(r"<[^>]+>", " ", raw)).strip()
        shown = " ".join(shown.split()).removesuffix(" *")  # the required mark
        if shown:
            found.append(shown)
    return found


def chinese(found: list[str]) -> list[str]:
    return [t for t in found if CJK.search(t)]


def test_a_task_form_and_the_steps_before_it_are_labelled_in_english(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household())
    at = walk(world, case.id, ["approve"])  # the village's appraisal: an earlier step
    after_notice(world.db, at)  # then its public notice runs out
    world.db.commit()
    task = open_task(world.db, case.id)
    assert task.form_key == "township_review"
    sign_in(client, "town1")
    page = text(client.get(f"/tasks/{task.id}?lang=en"))
    found = labels(page)
    assert "Township confirmation" in found or "Township review" in " ".join(found)
    assert "Review conclusion" in found and "Agree at review" in found, found
    assert "Appraisal meeting date" in found, "the earlier step, read-only"
    assert "Relation to the head" in found and "Household members" in found, "the application"
    assert chinese(found) == []
    assert f"<summary>{ENGLISH_APPLICATION}</summary>" in page
    assert "Township confirmation" in found, "the step, by its nameEn"
    assert any(t.startswith("Village appraisal and recommendation · ") for t in found)


def test_the_inbox_names_steps_in_english(world, client):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household())
    world.db.commit()
    sign_in(client, "vil11")
    page = text(client.get("/inbox?lang=en"))
    task = open_task(world.db, case.id)
    assert f'<a href="/tasks/{task.id}">Village appraisal and recommendation</a>' in page
    assert re.search(r'<option value="village_evaluation"[^>]*>Village appraisal and '
                     r"recommendation</option>", page)
    chinese_page = text(client.get("/inbox?lang=zh_CN"))
    assert f'<a href="/tasks/{task.id}">村级评议推荐</a>' in chinese_page
    listed = text(client.get("/cases?lang=en"))  # procedures by their nameEn too
    assert "Linzi: identification of households in hardship" in listed
    assert "临淄区困难家庭识别认定" not in listed


def test_the_intake_form_is_labelled_in_english(world, client):
    sign_in(client, "clerk1")
    page = text(client.get("/cases/new?village=V11&procedure=linzi_identification&lang=en"))
    found = labels(page)
    assert "ID number of the head" in found and "Head of household" in found, found
    assert chinese(found) == []
    chinese_page = text(client.get("/cases/new?village=V11&procedure=linzi_identification"
                                   "&lang=zh_CN"))
    assert "户主身份证号码" in labels(chinese_page), "Chinese stays the default"

"""Print previews: each document rendered to PDF by chromium, its text read back with
pdftotext and its page size with pdfinfo (poppler-utils), as an office printer would get it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.casework import cases
from engine.time import clock
from tests.browser.test_pages import sign_in
from tests.factories import make_world, walk
from tests.web.conftest import household

A4_POINTS = (595.0, 842.0)  # 210 × 297 mm
NAMES = {"vil11": "陈村干", "town1": "刘镇审", "dist": "周区批", "assess": "吴评估"}


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (apt-get install poppler-utils)",
                    pytrace=False)
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


def as_pdf(page, url: str, path: Path,
           paper: str | None = None) -> tuple[str, list[tuple[float, float]], int]:
    """(text, page sizes in points, page count) of the page printed to PDF: on the page size
    its CSS asks for, or on `paper` picked in the print dialog."""
    page.goto(url)
    if paper:
        page.pdf(path=str(path), format=paper, print_background=True)
    else:
        page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    keep(path)
    info = poppler("pdfinfo", "-f", "1", "-l", "99", str(path))
    sizes = [(float(w), float(h)) for w, h in
             re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = poppler("pdftotext", str(path), "-")  # reading order: a wrapped cell stays whole
    return text, sizes, count


def a4(sizes: list[tuple[float, float]]) -> bool:
    return bool(sizes) and all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2
                               for w, h in sizes)


def squashed(text: str) -> str:
    """PDF text without the spaces and line breaks that layout puts between characters."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def world(db):
    world = make_world(db)
    for username, name in NAMES.items():
        world.user(username).display_name = name
    db.commit()
    return world


def test_the_confirmation_sheet_and_refusal_notice_print_on_a4(world, live_url, page, tmp_path):
    db = world.db
    approved = cases.start(db, world.user("clerk1"), "linzi_identification", "V11", household(),
                           now=clock.now())
    walk(world, approved.id, ["approve"] * 5, clock.now())
    refused = cases.start(db, world.user("clerk1"), "linzi_identification", "V11",
                          household(head_name="赵大山"), now=clock.now())
    walk(world, refused.id, ["approve", "reject"], clock.now())
    db.commit()
    sign_in(page, live_url, "dist")

    page.goto(f"{live_url}/cases/{approved.id}")
    page.click("#print-sheet")
    page.wait_for_url(f"**/cases/{approved.id}/print")
    text, sizes, count = as_pdf(page, page.url, tmp_path / "sheet.pdf")
    flat = squashed(text)
    assert a4(sizes), sizes
    assert count >= 1
    assert "测试区最低生活保障和扶贫对象审核确认表" in flat
    for words in ("王建国", "李秀英", "家庭经营净收入", "6,800.00", "自建砖瓦房3间",
                  "村级评议推荐", "区主管部门核查", "批准", "周区批", "陈村干",
                  "审批人（签字）", "测试区民政局（盖章）"):
        assert words in flat, words
    assert "打印" not in flat and "返回" not in flat, "no toolbar in print"
    # The members' last columns are on the page, not cut off at its edge, also with A4 picked
    # in the print dialog (drawing order: a header wrapped in its cell reads whole).
    _, sizes, _ = as_pdf(page, page.url, tmp_path / "sheet-dialog.pdf", paper="A4")
    for pdf in ("sheet.pdf", "sheet-dialog.pdf"):
        drawn = squashed(poppler("pdftotext", "-raw", str(tmp_path / pdf), "-"))
        assert "慢性病或重大疾病职业或就业情况" in drawn, (pdf, drawn[:400])
    assert a4(sizes)
    assert "dist" not in text and "vil11" not in text

    text, sizes, _ = as_pdf(page, f"{live_url}/cases/{refused.id}/refusal-notice",
                            tmp_path / "refusal.pdf")
    flat = squashed(text)
    assert a4(sizes), sizes
    for words in ("不予认定告知书", "赵大山", "材料不全，需补充家庭收入证明。",
                  "《社会救助暂行办法》", "六十日内向测试区人民政府申请行政复议",
                  "六个月内依法向测试区人民法院提起行政诉讼", "送达回证"):
        assert words in flat, words


def test_the_poster_prints_one_a4_page_per_village_without_id_numbers(world, live_url, page,
                                                                       tmp_path):
    application = household()
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       application, now=clock.now())
    walk(world, case.id, ["approve"], clock.now())
    world.db.commit()
    page.goto(f"{live_url}/public/V11")
    page.click("#poster")
    page.wait_for_url("**/public/V11/poster")
    text, sizes, count = as_pdf(page, page.url, tmp_path / "poster.pdf")
    flat = squashed(text)
    assert a4(sizes) and count == 1, (sizes, count)
    for words in ("甲一村困难家庭认定公示", "王建国", "3人", "公示期：2026年6月1日至2026年6月8日",
                  "监督电话：12345", f"{live_url}/public/V11", "甲一村村民委员会（盖章）"):
        assert words in flat, words
    assert not re.search(r"\d{17}[\dX]", flat), "no ID number"
    assert application["head_phone"] not in flat and "凤凰镇后李村" not in flat


def keep(pdf: Path) -> None:
    """Leave a copy where a person can look at it: YIMEN_KEEP_PDFS=folder."""
    target = os.environ.get("YIMEN_KEEP_PDFS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(pdf, Path(target) / pdf.name)

"""The guides name routes the app serves: every path written in backticks in bpmn/README.md and
README.md matches the url_map (with its method when one is written before it), and README.md
points to the API reference inside the repository, not to a file a fresh clone lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ("bpmn/README.md", "README.md")
# `GET /api/jobs/{id}`, `/cases/new`, `/households/<id>`, `/admin/programs.xlsx?region=CODE`
ROUTE = re.compile(r"`(?:(GET|POST|PUT|PATCH|DELETE) )?(/(?:<[^>`]*>|\{[^}`]*\}|[^`\s<{])*)`")
PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}")


def documented(guide: str) -> list[tuple[str, str]]:
    """(method, path) of every route the guide names, placeholders filled with 1."""
    text = (ROOT / guide).read_text(encoding="utf-8")
    found = []
    for method, path in ROUTE.findall(text):
        path = PLACEHOLDER.sub("1", path.split("?")[0])
        found.append((method or "GET", path))
    return found


@pytest.mark.parametrize("guide", GUIDES)
def test_every_route_a_guide_names_is_served(app, guide):
    routes = documented(guide)
    assert len(routes) >= 5, "the pattern still finds the guide's routes"
    adapter = app.url_map.bind("localhost")
    missing = []
    for method, path in routes:
        try:
            adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            missing.append(f"{method} {path}")
    assert missing == []


def test_the_guide_starts_a_case_at_cases_new():
    text = (ROOT / "bpmn" / "README.md").read_text(encoding="utf-8")
    assert "`/cases/new`" in text
    assert "/intake" not in text


def test_the_readme_points_to_the_api_reference_in_the_repository():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/api.md)" in text
    assert (ROOT / "docs" / "api.md").is_file()
    assert "shared/contract.md" not in text
    assert "../" not in re.sub(r"```.*?```", "", text, flags=re.S), "no link out of the clone"

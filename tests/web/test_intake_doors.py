"""Who may take in an application, and where: POST /api/cases and the intake page agree for
every role, because both ask engine.people.scope (issue #12, point 6).

一门受理: a township's clerk takes in for the villages of the township, a village official for
their own village; district officials and admins start region procedures (a standard
adjustment) at a region they cover. Township officials, assessors and designers take in nothing.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.people import accounts
from engine.store.models import Case
from tests.factories import USERS
from tests.web.conftest import sign_in, text

ORG_CODES = ("D1", "T1", "T2", "V11", "V12", "V21", "A1")
EXPECTED = {
    "clerk1": {"V11", "V12"}, "clerk2": {"V21"},
    "vil11": {"V11"}, "vil12": {"V12"}, "vil21": {"V21"},
    "town1": set(), "town2": set(),
    "dist": {"D1", "T1", "T2"}, "admin": {"D1", "T1", "T2"},
    "assess": set(), "designer": set(),
}


def test_every_user_of_the_world_is_covered():
    assert set(EXPECTED) == set(USERS)


def _api_allows(client, token: str) -> set[str]:
    """Orgs where the API does not refuse the actor (403); an empty application is then
    refused as invalid (422), so nothing is stored."""
    allowed = set()
    for code in ORG_CODES:
        response = client.post("/api/cases", headers={"Authorization": f"Bearer {token}"},
                               json={"procedure": "linzi_identification", "village": code,
                                     "application": {}})
        assert response.status_code in (403, 422), (code, response.status_code)
        if response.status_code == 422:
            allowed.add(code)
    return allowed


def _page_offers(client, username: str) -> set[str] | None:
    sign_in(client, username)
    page = client.get("/cases/new")
    if page.status_code == 403:
        return set()
    assert page.status_code == 200
    html = text(page)
    select_html = html[html.index('name="village"'):html.index('name="procedure"')]
    return set(re.findall(r'<option value="([^"]+)"', select_html))


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_the_api_and_the_intake_page_agree(world, client, username):
    token = accounts.issue_token(world.db, world.user(username))
    assert _api_allows(client, token) == EXPECTED[username]
    assert _page_offers(client, username) == EXPECTED[username]
    assert world.db.scalar(select(func.count(Case.id))) == 0


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_the_intake_link_shows_exactly_when_the_page_admits(world, client, username):
    sign_in(client, username)
    home = text(client.get("/cases" if username != "designer" else "/procedures"))
    assert ('href="/cases/new"' in home) == bool(EXPECTED[username])

"""Page tests sign in through the login form and send the CSRF token from the page, with
CSRF protection switched on (the shared app fixture has it off for the API tests)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests.factories import PASSWORD, make_world
from tests.forms.samples import HEAD_BIRTH, make_id_number, valid_application

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_households = itertools.count(40)


def household(**overrides: Any) -> dict[str, Any]:
    """A valid application for a household of its own (one running case per household)."""
    head_id = make_id_number(HEAD_BIRTH, next(_households))
    data = valid_application(head_id_number=head_id, **overrides)
    data["members"][0]["id_number"] = head_id
    return data


class BrowserClient(FlaskClient):
    """Each request starts with an empty `g`, as in a server.

    The shared `app` fixture keeps one app context open for the whole test, and Flask reuses
    it for the client's requests, so `g` (Flask-Login's user, Flask-WTF's token) would
    otherwise leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app) -> BrowserClient:
    return BrowserClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def csrf_on(app) -> Iterator[None]:
    before = app.config.get("WTF_CSRF_ENABLED")
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = before


@pytest.fixture
def world(db, csrf_on):
    return make_world(db)


def csrf_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_out(client) -> None:
    """Press the sign-out button of whatever page the signed-in official lands on."""
    page = client.get("/", follow_redirects=True)
    client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def sign_in(client, username: str, password: str = PASSWORD):
    """Sign in through the form (signing out whoever was signed in first)."""
    page = client.get("/login")
    if page.status_code == 302:
        sign_out(client)
        page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))})


def post_form(client, url: str, data: dict[str, Any] | list[tuple[str, str]],
              page_url: str | None = None):
    """POST like a browser: the CSRF token comes from the page the form sits on."""
    page = client.get(page_url or url)
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    fields.append(("csrf_token", csrf_token(page.get_data(as_text=True))))
    return client.post(url, data=MultiDict(fields))


def as_post(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A form submission as the HTML form sends it: rows as members-0-name, and so on."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                out.extend(as_post(row, f"{name}-{i}-"))
        elif isinstance(value, list):
            out.extend((name, str(v)) for v in value)
        elif isinstance(value, bool):
            out.append((name, "true" if value else "false"))
        else:
            out.append((name, str(value)))
    return out


def text(response) -> str:
    return response.get_data(as_text=True)

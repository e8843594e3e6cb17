"""Every page names its icon, and a client asking for /favicon.ico finds it (no 404 per page)."""

from tests.web.conftest import sign_in


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.data.startswith(b"<svg")


def test_pages_link_the_icon(client, world):
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
    sign_in(client, "clerk1")
    assert 'href="/static/favicon.svg"' in client.get("/inbox").get_data(as_text=True)

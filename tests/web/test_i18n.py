"""Chinese by default; ?lang=en switches to English and stays for the session."""

from tests.web.conftest import sign_in, text


def test_chinese_is_the_default_and_english_is_one_click_away(world, client):
    sign_in(client, "vil11")
    page = text(client.get("/inbox"))
    assert "待办事项" in page and 'href="?lang=en"' in page
    english = text(client.get("/inbox?lang=en"))
    assert "Inbox" in english and "Sign out" in english and "待办事项" not in english
    assert 'lang="en"' in english
    assert "Find cases" in text(client.get("/cases")), "the choice is kept in the session"
    assert "案件查询" in text(client.get("/cases?lang=zh_CN"))


def test_english_survives_signing_in(world, client):
    client.get("/login?lang=en")
    sign_in(client, "vil11")
    assert "Inbox" in text(client.get("/inbox"))

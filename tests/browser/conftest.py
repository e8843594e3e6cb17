"""Browser tests: the app served from a thread, driven by Playwright with Debian's chromium.

They run in CI, so a missing Playwright (`pip install -e '.[test,browser]'`) or chromium
(CHROMIUM or /usr/bin/chromium; `bash tests/browser/install_chromium.sh`) fails them with the
fix, never skips them. Playwright's own browser download (`playwright install`) is not used.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

try:
    from playwright import sync_api
except ImportError:  # reported by the `browser` fixture, as a failure
    sync_api = None
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _missing() -> str | None:
    if sync_api is None:
        return ("Playwright is not installed: run `.venv/bin/pip install -e '.[test,browser]'` "
                "(or `make test`)")
    if not os.path.exists(CHROMIUM):
        return (f"no chromium at {CHROMIUM}: run `bash tests/browser/install_chromium.sh` "
                "(as root it installs Debian's chromium and fonts-noto-cjk), or set CHROMIUM")
    return None


@pytest.fixture
def live_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    problem = _missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()

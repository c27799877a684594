"""Browser tests: Debian's chromium driven by Playwright against a live server on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from saas import create_app

from ..conftest import TEST_CONFIG
from ..factories import Factory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    # A separate app object with CSRF on: the browser fills real forms.
    live = create_app({**TEST_CONFIG, "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def browser(request):
    """Chromium; on a failing test every open page is saved to tests/e2e/screenshots/ (CI artefacts)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            for c, context in enumerate(instance.contexts):
                for n, page in enumerate(context.pages):
                    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{c}-{n}.png"), full_page=True)
        instance.close()


def sign_in(page, live_server: str, email: str, tap: bool = False) -> list[str]:
    """Sign in through the real (CSRF-protected) form; returns the list that collects the page's
    script errors from now on, for the journey to assert empty at its end."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", Factory.PASSWORD)
    with page.expect_navigation():
        (page.tap if tap else page.click)("main input[type=submit]")
    return errors

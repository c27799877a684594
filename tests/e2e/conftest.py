"""Browser tests: Debian's chromium driven by Playwright against a live server on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from saas import create_app

from ..conftest import TEST_CONFIG

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


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()

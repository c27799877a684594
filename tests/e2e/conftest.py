"""Browser tests: Debian's chromium driven by Playwright against a live server on 127.0.0.1."""

from __future__ import annotations

import re
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


# --- The quality gate of every journey page (issue 22) -------------------------------------------
# `check_page(page, journey, name)` runs on every page a journey reaches, at the journey's own size
# and at the other one (a phone twin of a desktop context, or the reverse, with the same cookies):
# axe-core (bundled in axe-playwright-python: no network) must find no serious or critical WCAG 2
# A/AA violation; a Chinese page must show no raw code and no untranslated English word; a
# screenshot of each goes to tests/e2e/screenshots/<journey>-<page>-<viewport>.png for review.

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}
# Latin text a Chinese page may legitimately show: file formats, units, abbreviations. Anything
# else with a Latin letter (bar emails, addresses, credit codes, digests) is a raw code (cq-park,
# TJ-6, recommended, None) or a word left untranslated.
LATIN_OK = {
    "PDF", "DOCX", "docx", "XLSX", "xlsx", "Excel", "CSV", "csv", "API", "ICS", "iCal", "URL", "ID", "SVG",
    "PNG", "JPG", "JPEG", "png", "jpg", "pdf", "OK", "KB", "MB", "GB", "AA", "GB/T", "WCAG", "Word",
    "SHA-256",
}
_TOKEN = re.compile(r"[A-Za-z0-9_\-./:@+#%*]*[A-Za-z][A-Za-z0-9_\-./:@+#%*]*")
_EMAIL = re.compile(r"^[\w.+*-]+@[\w-]+(\.[\w-]+)+\.?$")  # masked too: l***@example.com
_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")  # GB 32100-2015 unified social credit code
_URL = re.compile(r"^(https?://|/)\S*$")
# A file's digest (sha256 prefix) and a bonus item's number under its 加分项 heading (b1. …).
_OK = re.compile(r"^([0-9a-f]{8,}|b\d{1,2})$")
_TEXT_JS = """() => {
  const bits = [document.body.innerText];
  for (const el of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset]'))
    if (el.offsetParent !== null) bits.push(el.value);
  for (const el of document.querySelectorAll('[placeholder], [aria-label], img[alt], [title]'))
    bits.push(el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '',
              el.tagName === 'IMG' ? el.getAttribute('alt') || '' : '', el.getAttribute('title') || '');
  return bits.join('\\n');
}"""
_WIDE_JS = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth + 1) return null;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !el.closest('.table-responsive') && out.length < 4)
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.')
               + ' ' + Math.round(r.right));
  }
  return out.length ? out : ['(inside a scroll box)'];
}"""


def raw_words(text: str) -> list[str]:
    """The Latin tokens of a Chinese page's text that are neither allowed nor an email, URL or credit code."""
    found = []
    for token in _TOKEN.findall(text):
        if _URL.match(token):
            continue
        token = token.strip(".:/-")
        if (not token or token in LATIN_OK or not re.search("[A-Za-z]", token)
                or any(pattern.match(token) for pattern in (_EMAIL, _CREDIT, _OK))):
            continue
        found.append(token)
    return sorted(set(found))


def _why(node) -> str:
    """The colours and ratio of a contrast failure, to fix it without opening the browser."""
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and "contrastRatio" in data:
            return f" ({data.get('fgColor')} on {data.get('bgColor')}: {data.get('contrastRatio')})"
    return ""


def _size(page) -> str:
    return "phone" if (page.viewport_size or {}).get("width", 1366) < 576 else "desktop"


def _check_one(page, journey: str, name: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    size = _size(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{journey}-{name}-{size}.png"), full_page=True)
    problems = []
    results = Axe().run(page, options=AXE_OPTIONS)
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) + _why(node) for node in violation["nodes"][:3]]
            problems.append(f"{size} {page.url}: axe {violation['impact']} {violation['id']}: "
                            f"{violation['help']} at {targets}")
    if (page.get_attribute("html", "lang") or "").startswith("zh"):
        text = page.evaluate(_TEXT_JS)
        words = raw_words(text)
        if words:
            lines = [line.strip()[:80] for line in text.splitlines() if set(raw_words(line)) & set(words)]
            problems.append(f"{size} {page.url}: raw codes or English in zh_CN: {words} in {sorted(set(lines))}")
    wide = page.evaluate(_WIDE_JS)
    if wide:
        problems.append(f"{size} {page.url}: scrolls sideways, past the edge: {wide}")
    return problems


_PROBLEMS: list[str] = []


@pytest.fixture(autouse=True)
def page_checks():
    """What check_page found, all pages of the journey at once: the journey runs to its end and
    the test fails at teardown with the whole list."""
    _PROBLEMS.clear()
    yield _PROBLEMS
    problems, _PROBLEMS[:] = list(_PROBLEMS), []
    assert not problems, "\n".join(problems)


def _offline(context) -> None:
    """Pages and axe-core ask nothing of the network but the app's own server (no CDN, no
    fetched rules): any other request is a problem."""
    if not getattr(context, "_offline", False):
        context._offline = True
        context.on("request", lambda request: None if request.url.startswith(("http://127.0.0.1:", "data:", "blob:"))
                   else _PROBLEMS.append(f"request off the machine: {request.url}"))


def check_page(page, journey: str, name: str, both: bool = True) -> None:
    """The page as it is, then the same address at the other size in a twin context that shares
    the cookies (one twin per context, kept on it); `both=False` for a page that answers a POST."""
    context = page.context
    _offline(context)
    _PROBLEMS.extend(_check_one(page, journey, name))
    if not both:
        return
    twin = getattr(context, "_size_twin", None)
    if twin is None:
        other = DESKTOP if _size(page) == "phone" else PHONE
        twin = context.browser.new_context(locale=page.evaluate("navigator.language"), **other).new_page()
        _offline(twin.context)
        twin.on("pageerror", lambda exc: _PROBLEMS.append(f"script error ({journey}): {exc}"))
        context._size_twin = twin
    twin.context.clear_cookies()
    twin.context.add_cookies(context.cookies())
    twin.goto(page.url)
    _PROBLEMS.extend(_check_one(twin, journey, name))

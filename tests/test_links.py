"""Every link the app shows leads somewhere: each demo user follows the links of their pages
and none answers 403, 404 or 5xx (a link to a page the role may not open is a bug too)."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from saas.demo import USERS

from .conftest import login

HREF = re.compile(r'<a\s[^>]*href="([^"#]+)"')
PAGES_PER_USER = 150


def shape(path: str) -> str:
    """Pages that differ only by ids or years are one kind of page: one of each is enough."""
    return re.sub(r"\d+", "N", path)


def crawl(client, start: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Breadth-first over same-site GET links: (status per page visited, broken links)."""
    seen, shapes, broken, statuses = {start}, {shape(start)}, [], {}
    queue = deque([(start, None)])
    while queue and len(statuses) < PAGES_PER_USER:
        url, linked_from = queue.popleft()
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code == 302:
            target = urlsplit(urljoin(url, response.headers["Location"]))
            response = client.get(target.path + (f"?{target.query}" if target.query else ""))
        if response.status_code >= 400:
            broken.append((url, linked_from, response.status_code))
            continue
        if not response.content_type.startswith("text/html"):
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            parts = urlsplit(urljoin(url, href))
            if parts.netloc not in ("", "localhost") or parts.path.startswith("/static/"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link not in seen and shape(parts.path) not in shapes:
                seen.add(link)
                shapes.add(shape(parts.path))
                queue.append((link, url))
    return statuses, broken


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return app


@pytest.mark.parametrize("email", [email for email, *_ in USERS])
def test_every_link_a_user_is_shown_opens(demo, email):
    client = login(demo.test_client(), email, demo.config["DEMO_PASSWORD"])
    statuses, broken = crawl(client, "/")
    assert not broken, broken
    # The crawl reached the user's pages, not just a landing page.
    assert len(statuses) >= (5 if email == "platform@demo.example" else 15), sorted(statuses)

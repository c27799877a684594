"""What every template may use: permission checks, the current tenant, the language menu."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from flask import current_app, g, render_template, request, session, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .auth.permissions import can
from .extensions import bootstrap
from .i18n import catalogue_code
from .tenant_cache import LRU, MISSING, cached, fragment

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
PAGE_ENTRIES = 256  # whole pages kept per worker (about 30–70 KB each)


def locale_code() -> str:
    """The catalogue code in use ("zh_CN" or "en"); Babel itself says zh_Hans_CN."""
    return catalogue_code(get_locale())


def tenant_nav():
    """The tenant's menu: the same for everyone with the same role there, so rendered once per
    tenant, role, language and everything else it shows (its name, its links) — and not again
    after each write of the tenant's data, which it does not show (every tenant page's first
    view after a change had rendered it anew)."""
    access, tenant = g.access, g.tenant
    key = (tenant.id, tenant.slug, tenant.name, access.role, access.enterprise_id, locale_code(), request.script_root)
    store = current_app.extensions.setdefault("tenant_nav", LRU())
    html = store.get(key)
    if html is MISSING:
        html = Markup(render_template("_tenant_nav.html"))
        store.put(key, html)
    return html


# Stand-ins for the per-request values of the top bar; random so no page text can match.
_CSRF = f"csrf-{secrets.token_hex(8)}"
_NEXT = f"next-{secrets.token_hex(8)}"
_BADGE = f"badge-{secrets.token_hex(8)}"  # the pending count (tenants/workbench/badge.py)


def _top_nav_key() -> tuple:
    user = current_user
    return (locale_code(), request.script_root, user.is_authenticated and (
        user.id, user.name, user.is_reviewer, user.bureau_role, user.is_platform_admin))


def _fill(html: str) -> Markup:
    """`html` with this request's CSRF token, path and pending count in place of their stand-ins.
    The count changes with any decision, so it is never part of what is cached."""
    html = html.replace(_CSRF, escape(generate_csrf())).replace(_NEXT, escape(request_path()))
    if _BADGE in html:
        badge = current_app.extensions.get("top_nav_badge")
        html = html.replace(_BADGE, badge() if badge is not None else "")
    return Markup(html)


def top_nav() -> Markup:
    """The top bar. It is the same on every page for one user in one language except for the
    CSRF token, the current path and the pending count, and rendering it costs a good part of a cached page; so it
    is rendered once per (user, language) and those two values are filled in per request — or,
    inside `whole_page`, once the whole page is there."""
    key = _top_nav_key()
    store = current_app.extensions.setdefault("top_nav", LRU())
    html = store.get(key)
    if html is MISSING:
        html = render_template("_top_nav.html", csrf_value=_CSRF, next_value=_NEXT, badge_value=_BADGE)
        store.put(key, html)
    return Markup(html) if g.get("whole_page") else _fill(html)


def whole_page(name: str, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """A tenant page whose content is a tenant-cache fragment (dashboard, roster), kept whole.

    Once its content is cached, what is left of such a page is the page around it — title, top
    bar, tenant menu — which for one user, role and language is the same on every view; putting
    it together again cost a sixth of the request (tests/perf). So the whole page is cached
    with the tenant's data, per user, role and language as the top bar and the menu are, plus
    the view's own `key` (what its fragment depends on), with the stand-ins left in and filled
    per request. A page carrying flashed messages is one-off and is rendered as usual. Pages
    have a store of their own: they are cheap to rebuild from their fragment and must not push
    out computed figures."""
    if "_flashes" in session:
        return Markup(render())
    access = g.access
    g.whole_page = True
    try:
        html = cached(f"page:{name}", (*_top_nav_key(), access.role, access.enterprise_id, *key), render,
                      current_app.extensions.setdefault("whole_pages", LRU(PAGE_ENTRIES)))
    finally:
        g.whole_page = False
    return _fill(html)


def across_page(name: str, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """A page made from several tenants' data (a bureau's overview), kept whole like `whole_page`
    but in the cross-tenant store (tenant_cache.cached_across): `key` must hold what the page
    shows — the listed bases with their data versions and anything else — and the reader's
    jurisdiction; per user and language as the top bar, stand-ins filled per request."""
    from .tenant_cache import cached_across

    if "_flashes" in session:
        return Markup(render())
    g.whole_page = True
    try:
        html = cached_across(f"page:{name}", (*_top_nav_key(), *key), render)
    finally:
        g.whole_page = False
    return _fill(html)


def page_csrf() -> str:
    """The CSRF token of a form in a page's content. Inside `whole_page` it is the stand-in,
    filled per request like the top bar's: a cached page never keeps one visitor's token."""
    return _CSRF if g.get("whole_page") else generate_csrf()


def page_assets(part: str) -> Markup:
    """The stylesheets ("head") or scripts ("foot") every page loads: Bootstrap's, served
    locally, then the app's own. They are the same on every page for a given script root, and
    building them (four url_for calls and Bootstrap-Flask's lookups) cost a few percent of a
    cached page, so they are built once."""
    store = current_app.extensions.setdefault("page_assets", {})
    key = (part, request.script_root)
    html = store.get(key)
    if html is None:
        if part == "head":
            html = bootstrap.load_css() + Markup('\n  <link rel="stylesheet" href="%s">') % url_for(
                "static", filename="app.css")
        else:
            html = bootstrap.load_js() + Markup('\n<script src="%s"></script>') % url_for("static", filename="app.js")
        store[key] = html
    return html


def request_path() -> str:
    return request.full_path.rstrip("?")


def _context():
    return {
        "can": can,
        "current_tenant": g.get("tenant"),
        "current_access": g.get("access"),
        "tenant_nav": tenant_nav,
        "top_nav": top_nav,
        "page_assets": page_assets,
        "page_csrf": page_csrf,
        "language_names": LANGUAGE_NAMES,
        "current_locale": locale_code(),
    }


def init_app(app):
    app.context_processor(_context)
    app.jinja_env.filters["date"] = lambda d: format_date(d, "medium") if d else ""
    app.jinja_env.filters["datetime"] = lambda d: format_datetime(d, "short") if d else ""
    from .numbers import score

    app.jinja_env.filters["score"] = score

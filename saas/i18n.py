"""Locale choice: user preference → tenant default → Accept-Language → zh_CN."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from babel import Locale, support
from flask import Blueprint, current_app, g, has_app_context, has_request_context, redirect, request, session, url_for
from flask_babel import Domain, get_locale
from flask_login import current_user

from .extensions import db

bp = Blueprint("i18n", __name__)


class CatalogueDomain(Domain):
    """Loads catalogues by their directory name (zh_CN, en).

    Babel expands "zh_CN" to zh_Hans_CN, and Flask-Babel's default loader then looks for a
    zh_Hans_CN directory and silently falls back to the English ids.
    """

    def get_translations(self):
        if not has_app_context():
            return support.NullTranslations()
        # The locale Flask-Babel chose for this context (force_locale sets it too), read without
        # its helpers: they cost three context-local lookups each, and a page asks this for
        # every string it translates (about a hundred; a tenth of readiness's rendering).
        chosen = getattr(g, "_flask_babel", None)
        locale = getattr(chosen, "babel_locale", None) or get_locale()
        code = catalogue_code(locale)
        translations = self.cache.get(code)
        if translations is None:
            translations = support.Translations()
            for dirname in self.translation_directories:
                translations.merge(support.Translations.load(dirname, [code], self.domain[0]))
            self.cache[code] = translations
        return translations


def catalogue_code(locale) -> str:
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def select_locale() -> Locale:
    # A parsed Locale, not a code: Babel's parse of a code walks its whole locale list each time.
    return _locale(_choose())


def _choose() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: the default unless force_locale says otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    tenant = g.get("tenant")
    if tenant is not None and tenant.default_locale in languages:
        return tenant.default_locale
    # Accept-Language says "zh" or "zh-CN"; our catalogue is zh_CN.
    # An absent header would "accept" anything, so only a real one counts.
    accepted = request.accept_languages
    best = accepted.best_match(["zh_CN", "zh-CN", "zh", "en"]) if accepted else None
    if best:
        return "en" if best == "en" else "zh_CN"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after a redirect (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def init_app(app):
    from .extensions import babel

    babel.init_app(app, locale_selector=select_locale)
    domain = babel.domain_instance = CatalogueDomain()  # the Babel object caches its Domain here
    # Templates' _() straight to the one domain (Flask-Babel looks the domain up on each string).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.register_blueprint(bp)


@bp.route("/lang/<code>", methods=["POST"])
def switch(code):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("auth.home"))

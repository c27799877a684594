"""Links that leave the app — in mail, notifications, calendar feeds — are built from
configuration (PUBLIC_URL), never from the request.

A request's Host (or X-Forwarded-Host behind a trusting proxy) is whatever the sender typed:
a password-reset link built from it would carry the token to the sender's host (reset-link
poisoning). `url_for(..., _external=True)` inside a request does exactly that, so external
links go through `public_url` instead, which also works where there is no request at all
(jobs, the CLI).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` on the configured public host."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def trusted_hosts(config: dict) -> list[str]:
    """Host names the app answers to: the public URL's, those in ALLOWED_HOSTS, and loopback
    outside production. Any other Host header gets 400 (Flask's TRUSTED_HOSTS)."""
    hosts = [urlsplit(config["PUBLIC_URL"]).hostname or ""]
    hosts += [h.strip() for h in config.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if config.get("APP_ENV") != "production":
        hosts += ["localhost", "127.0.0.1", "::1"]
    return list(dict.fromkeys(h for h in hosts if h))

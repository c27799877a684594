"""GET /api/v1/tenants/<slug>/ — the tenant's profile."""

from flask import g

from saas.api import tenant_route


@tenant_route("/", "tenant.view")
def profile():
    t = g.tenant
    return {"slug": t.slug, "name": t.name, "kind": t.kind, "region": t.region, "default_locale": t.default_locale,
            "bureau": t.bureau.name if t.bureau else None, "role": g.access.role}

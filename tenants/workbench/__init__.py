"""The reviewer's workbench (/workbench) and the pending badge of the top bar (reviewers and
instructors). Not a tenant page: it reads across the tenants of the reviewer's jurisdiction."""

from .views import bp as home_bp  # noqa: F401


def init_app(app):
    from .badge import html

    # saas/templating.py fills the top bar's badge with this, on every request.
    app.extensions["top_nav_badge"] = html

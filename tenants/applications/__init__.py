"""The base's application: dossier (PDF), submission, review chain (TJ-6, WH-3, CQ-3, XC-2)."""

from . import flow_views, scoring_views, views  # noqa: F401  (routes register on the blueprint)
from .queue import bp as home_bp  # noqa: F401  (the reviewers' queue, across tenants)
from .views import bp  # noqa: F401

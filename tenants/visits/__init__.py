"""Bureau instructors, their assignments and guidance visits; the instructor-team ledger
(CQ-1 activities, CQ-2 items 10–13, TJ-5, XC-3)."""

from . import assign_views, summary, team_views, views  # noqa: F401  (routes register on the blueprint; summary's listeners)
from .blueprint import bp  # noqa: F401
from .home import bp as home_bp  # noqa: F401

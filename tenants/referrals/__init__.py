"""Complaints in a station ledger referred to the bureau, and the outcome coming back (LC-3)."""

from . import views  # noqa: F401  (routes register on the blueprint)
from .views import bp  # noqa: F401

"""Guidance stations and their service ledger (LC-3, WH-2, CQ-2 items 5–9)."""

from . import log_views, views  # noqa: F401  (routes register on the blueprint)
from .blueprint import bp  # noqa: F401

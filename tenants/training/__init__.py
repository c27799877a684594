"""Training and publicity: events, attendance, enterprise-logged training, coverage figures
(WH-1, WH-2, CQ-1, XC-3, TJ-4)."""

from . import summary, views  # noqa: F401  (routes register on the blueprint; summary's listeners)
from .blueprint import bp  # noqa: F401

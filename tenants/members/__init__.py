"""Member liaison enterprises: roster, liaison persons, checklists, survey figures, vulnerability
list, evidence, Excel import/export (TJ-1…TJ-4, WH-1, XC-3, LC-2)."""

from . import io_views, records_views, views  # noqa: F401  (routes register on the blueprint)
from .blueprint import bp  # noqa: F401

"""Questionnaire rounds sent to member enterprises, answered in their workspace (LC-2)."""

from . import models  # noqa: F401
from . import views  # noqa: F401  (routes register on the blueprint)
from .bureau_views import home_bp  # noqa: F401
from .views import bp  # noqa: F401

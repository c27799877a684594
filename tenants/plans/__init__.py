"""The annual work plan (XC-3): targets, narrative, progress computed live from the metrics."""

from . import views  # noqa: F401  (routes register on the blueprint)
from .views import bp  # noqa: F401

"""Published guidance (LC-4): notices, sector guidelines and typical cases for member enterprises."""

from . import views  # noqa: F401  (routes register on the blueprint)
from .views import bp  # noqa: F401

"""Published guidance (LC-4): notices, sector guidelines and typical cases for member enterprises."""

from . import views  # noqa: F401  (routes register on the blueprint)
from .bureau_views import home_bp  # noqa: F401  (a bureau's guidance to every base of its jurisdiction)
from .views import bp  # noqa: F401

"""The bureau's jurisdiction view (not a tenant page: it reads across the bureau's tenants)."""

from . import models  # noqa: F401
from . import rollup_views  # noqa: F401  (the roll-up routes, on the same blueprint)
from .views import bp as home_bp  # noqa: F401

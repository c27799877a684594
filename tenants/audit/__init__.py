"""The tenant's audit log (saas.audit records it; this is where admins read it)."""

from .labels import init_app  # noqa: F401
from .views import bp  # noqa: F401

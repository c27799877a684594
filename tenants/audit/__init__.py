"""The tenant's audit log (saas.audit records it; this is where admins read it)."""

from .views import bp  # noqa: F401

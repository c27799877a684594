"""Flask extensions, created unbound; `create_app` binds them (flaskbb's pattern)."""

from flask import current_app, request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .replica import ReplicaSession

# Named constraints so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session class routes a `saas.replica.replica_reads` view's statements to the read replica.
db = SQLAlchemy(model_class=Base, session_options={"class_": ReplicaSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
# Storage is set from REDIS_URL at init time; when Redis is down, limits fall back to memory
# so pages keep rendering.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True)


@limiter.request_filter
def _unlimited() -> bool:
    """Only a few views carry limits (sign-in, reset, the API, the calendar feed) and there are
    no default ones, so every other request skips the limiter's per-request bookkeeping. Asked
    once per endpoint and remembered."""
    known = current_app.extensions.setdefault("unlimited_endpoints", {})
    endpoint = request.endpoint
    if endpoint not in known:
        view = current_app.view_functions.get(endpoint)
        defaults = current_app.config.get("RATELIMIT_DEFAULT") or current_app.config.get("RATELIMIT_APPLICATION")
        known[endpoint] = bool(view is not None and not defaults
                               and not limiter.limit_manager.decorated_limits(get_qualified_name(view)))
    return known[endpoint]

"""Configuration: safe defaults, overridden by environment variables, validated at start-up.

Every setting a deployment may change is read here and nowhere else. `load_config` returns a
plain dict; `validate` raises `ConfigError` with a one-line reason so a bad deployment stops at
start-up instead of failing on the first request.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


ENVIRONMENTS = ("development", "production", "testing")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(instance: Path, env: str) -> str | None:
    """SECRET_KEY from the environment; in development, generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key or env == "production":
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Written with 0600 so other local users cannot forge sessions.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = os.environ.get("APP_ENV", "development").strip().lower()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'app.db'}"
    if database_url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy only knows the long scheme.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    # The owner of the tables, for migrations (and the grants they give the app's role); the
    # app itself connects as DATABASE_URL's role, under row-level security (saas/rls.py).
    owner_url = os.environ.get("DATABASE_OWNER_URL") or ""
    if owner_url.startswith("postgresql://"):
        owner_url = "postgresql+psycopg://" + owner_url[len("postgresql://"):]
    # An optional read replica (a streaming standby) for the bureau's heavy reads (saas/replica.py).
    replica_url = os.environ.get("DATABASE_REPLICA_URL") or ""
    if replica_url.startswith("postgres://"):
        replica_url = "postgresql://" + replica_url[len("postgres://"):]
    if replica_url.startswith("postgresql://"):
        replica_url = "postgresql+psycopg://" + replica_url[len("postgresql://"):]
    production = env == "production"
    return {
        "APP_ENV": env,
        "SECRET_KEY": _secret_key(instance, env),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_OWNER_URL": owner_url or None,
        # Reads that may be a few seconds stale go to the replica while it is at most this far
        # behind the primary; otherwise (or when it is down) to the primary.
        "DATABASE_REPLICA_URL": replica_url or None,
        "DATABASE_REPLICA_MAX_LAG_SECONDS": float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS") or "5"),
        # Refuse to start when the app's PostgreSQL role would pass through row-level security
        # (a superuser, BYPASSRLS, or the tables' owner).
        "RLS_REQUIRED": _bool(os.environ.get("RLS_REQUIRED"), False),
        # A PostgreSQL server can restart under us: saas.database pre-pings its pool's connections.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # None means: use the embedded Valkey server under instance/valkey.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(instance / "uploads"),
        # Backups (saas/backup.py): where `flask backup` and the nightly job write archives; the
        # worker makes one every day at BACKUP_SCHEDULE (HH:MM, server time; unset: never) and
        # keeps the BACKUP_KEEP newest. PostgreSQL is dumped and restored as DATABASE_OWNER_URL.
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(instance / "backups"),
        "BACKUP_SCHEDULE": (os.environ.get("BACKUP_SCHEDULE") or "").strip(),
        "BACKUP_KEEP": int(os.environ.get("BACKUP_KEEP", "7")),
        # One uploaded file; the whole request may be a little larger (form fields, several files).
        "UPLOAD_MAX_BYTES": int(os.environ.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024 * 2 + 1024 * 1024,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), True),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "noreply@localhost"),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "LANGUAGES": ["zh_CN", "en"],
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Production is served over HTTPS behind a proxy; development cookies become Secure
        # per request when the request itself is HTTPS (see saas.security).
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "1" if production else "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        "LOGIN_FAILURES_PER_ACCOUNT": os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes"),
        # Generous: a park office signs in from behind one address.
        "LOGIN_FAILURES_PER_IP": os.environ.get("LOGIN_FAILURES_PER_IP", "50 per 15 minutes"),
        "INVITATION_MAX_AGE": 7 * 24 * 3600,
        "RESET_MAX_AGE": 2 * 3600,
        "PASSWORD_HASH_METHOD": "scrypt",
        "JOB_FAILURE_TTL": 7 * 24 * 3600,
        # How often a worker looks for jobs whose worker died whole (main process and work horse
        # together, as in a container restart): RQ gives up on such a job about 90 s after its
        # last heartbeat, and retries or fails it at the next look. RQ's default is 10 minutes,
        # a long time for a user watching a spinner; a look costs a few Redis commands.
        "JOB_MAINTENANCE_SECONDS": int(os.environ.get("JOB_MAINTENANCE_SECONDS", "60")),
        # Every link that leaves the app (mail, notifications, calendar feed) starts with this,
        # never with the request's Host (saas/links.py); required in production.
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL") or ("" if production else "http://127.0.0.1:5000")).strip(),
        # More host names to answer to besides PUBLIC_URL's (comma-separated), e.g. a load
        # balancer's health check by IP; any other Host header gets 400.
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", ""),
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        # Per-tenant cache of figures and page fragments (saas/tenant_cache.py); off only to measure.
        "TENANT_CACHE": _bool(os.environ.get("TENANT_CACHE"), True),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", "demo-pass-2026"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Retention of personal data (saas/retention.py, nightly): the audit log (0 = for ever;
        # else at least 180 days), signed-out session records after their cookie's expiry, known
        # sign-in devices and addresses after their last use.
        "AUDIT_RETENTION_DAYS": int(os.environ.get("AUDIT_RETENTION_DAYS") or "0"),
        "SESSION_RETENTION_DAYS": int(os.environ.get("SESSION_RETENTION_DAYS") or "0"),
        "KNOWN_SIGN_IN_DAYS": int(os.environ.get("KNOWN_SIGN_IN_DAYS") or "180"),
    }


def validate(config: dict) -> None:
    """Raise ConfigError (one line) for settings the app cannot run with."""
    env = config.get("APP_ENV")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    key = config.get("SECRET_KEY") or ""
    if env == "production" and len(key) < 32:
        raise ConfigError("SECRET_KEY must be set and at least 32 characters in production")
    if not key:
        raise ConfigError("SECRET_KEY is empty")
    db_scheme = urlparse(config["SQLALCHEMY_DATABASE_URI"]).scheme.split("+")[0]
    if db_scheme not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL must be a sqlite:// or postgresql:// URL, not {db_scheme!r}")
    replica_url = config.get("DATABASE_REPLICA_URL")
    if replica_url and (db_scheme != "postgresql" or urlparse(replica_url).scheme.split("+")[0] != "postgresql"):
        raise ConfigError("DATABASE_REPLICA_URL needs PostgreSQL for both DATABASE_URL and the replica")
    if config.get("DATABASE_REPLICA_MAX_LAG_SECONDS", 5) <= 0:
        raise ConfigError("DATABASE_REPLICA_MAX_LAG_SECONDS must be more than 0")
    redis_url = config.get("REDIS_URL")
    if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    if env == "production" and not redis_url:
        raise ConfigError("REDIS_URL must be set in production (the embedded Valkey is for development)")
    public = urlparse(config.get("PUBLIC_URL") or "")
    if env == "production" and not config.get("PUBLIC_URL"):
        raise ConfigError("PUBLIC_URL must be set in production (links in mail are built from it)")
    if public.scheme not in ("http", "https") or not public.hostname or public.query or public.fragment:
        raise ConfigError(f"PUBLIC_URL must be an http(s) URL such as https://bases.example.cn, "
                          f"not {config.get('PUBLIC_URL')!r}")
    if env == "production" and public.scheme != "https":
        raise ConfigError("PUBLIC_URL must be https:// in production")
    if config.get("MAX_CONTENT_LENGTH", 0) <= 0:
        raise ConfigError("MAX_UPLOAD_MB must be a positive number")
    if config.get("JOB_MAINTENANCE_SECONDS", 60) < 10:
        raise ConfigError("JOB_MAINTENANCE_SECONDS must be at least 10")
    audit_days = config.get("AUDIT_RETENTION_DAYS", 0)
    if audit_days and not 180 <= audit_days <= 36500:
        raise ConfigError("AUDIT_RETENTION_DAYS must be 0 (keep for ever) or from 180 to 36500 days")
    if not 0 <= config.get("SESSION_RETENTION_DAYS", 0) <= 3650:
        raise ConfigError("SESSION_RETENTION_DAYS must be from 0 to 3650 days")
    if not 1 <= config.get("KNOWN_SIGN_IN_DAYS", 180) <= 3650:
        raise ConfigError("KNOWN_SIGN_IN_DAYS must be from 1 to 3650 days")
    schedule = config.get("BACKUP_SCHEDULE") or ""
    if schedule and not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", schedule):
        raise ConfigError(f"BACKUP_SCHEDULE must be a time of day such as 02:30, not {schedule!r}")
    if config.get("BACKUP_KEEP", 7) < 1:
        raise ConfigError("BACKUP_KEEP must be at least 1")

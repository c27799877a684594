"""Sign-in throttling that parallel requests cannot outrun, and that a stranger cannot use to
lock the owner out.

Every attempt is counted atomically *before* the password is checked (an INCR in Redis, a
lock in memory): of forty simultaneous guesses only the first ten are checked, where a limit
read before the attempt and counted after it let all forty through. A successful sign-in
gives its own attempt back, so only failures use up the budget.

Two budgets, both must allow the attempt:
- per address (`LOGIN_FAILURES_PER_IP`): one machine guessing across many accounts;
- per account (`LOGIN_FAILURES_PER_ACCOUNT`): many machines guessing one password.
A stranger who spends an account's budget would lock its owner out for the window; so an
attempt from a device (cookie) or an address the account has signed in from before
(`KnownSignIn`) is counted in a budget of its own for that account and source. Setting a
password through a reset link clears the account's budget.

Counters live in the limiter's storage (Redis in production, so every web process shares
them); if Redis is down they fall back to this process's memory, as the limiter does.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request
from limits import parse
from limits.storage import MemoryStorage
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, limiter
from ..tenancy import utcnow
from .models import KnownSignIn, User

DEVICE_COOKIE = "device"
DEVICE_MAX_AGE = 365 * 24 * 3600
KNOWN_FOR = timedelta(days=180)

_memory = MemoryStorage()
_dummy_hashes: dict[str, str] = {}
_dummy_lock = threading.Lock()


@dataclass
class Attempt:
    """The counters one attempt was charged to; `retry_after` > 0 when it was refused."""

    charged: list[tuple[str, int]] = field(default_factory=list)  # (key, expiry)
    retry_after: int = 0


def _storage():
    try:
        storage = limiter.storage
        if storage is not None and storage.check():
            return storage
    except Exception:  # noqa: BLE001 — Redis down: count in memory rather than fail the sign-in
        pass
    return _memory


def _source_hash(kind: str, value: str) -> str:
    # Keyed with the secret: the table never holds a bare address or a usable cookie value.
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{kind}:{value}".encode()).hexdigest()


def _sources() -> list[str]:
    out = [_source_hash("ip", request.remote_addr or "")]
    device = request.cookies.get(DEVICE_COOKIE, "")
    if 20 <= len(device) <= 64:
        out.append(_source_hash("device", device))
    return out


def _known_for() -> timedelta:
    """How long a device or address stays known after its last use (KNOWN_SIGN_IN_DAYS)."""
    return timedelta(days=current_app.config.get("KNOWN_SIGN_IN_DAYS", KNOWN_FOR.days))


def _known_source(email: str) -> str | None:
    """The first of this request's sources the account has signed in from, if any."""
    sources = _sources()
    known = set(db.session.scalars(
        sa.select(KnownSignIn.source).join(User, User.id == KnownSignIn.user_id)
        .where(User.email == User.normalise_email(email), KnownSignIn.source.in_(sources),
               KnownSignIn.last_seen_at > utcnow() - _known_for())))
    return next((s for s in reversed(sources) if s in known), None)


def _charge(storage, attempt: Attempt, key: str, limit_text: str) -> bool:
    limit = parse(limit_text)
    expiry = limit.get_expiry()
    count = storage.incr(key, expiry)
    attempt.charged.append((key, expiry))
    if count > limit.amount:
        attempt.retry_after = max(attempt.retry_after, int(storage.get_expiry(key) - time.time()) + 1)
        return False
    return True


def begin(email: str) -> Attempt:
    """Count an attempt for `email` from this request; `retry_after` says if it may go on."""
    storage = _storage()
    config = current_app.config
    attempt = Attempt()
    account = "login:account:" + User.normalise_email(email)
    if not _charge(storage, attempt, "login:ip:" + (request.remote_addr or "-"), config["LOGIN_FAILURES_PER_IP"]):
        return attempt
    if _charge(storage, attempt, account, config["LOGIN_FAILURES_PER_ACCOUNT"]):
        return attempt
    known = _known_source(email)
    if known is None:
        return attempt
    # The owner's device or address: its own budget instead of the one strangers spent.
    _give_back(storage, attempt.charged.pop())
    attempt.retry_after = 0
    _charge(storage, attempt, f"{account}:{known[:16]}", config["LOGIN_FAILURES_PER_ACCOUNT"])
    return attempt


def _give_back(storage, charged: tuple[str, int]) -> None:
    key, expiry = charged
    storage.incr(key, expiry, amount=-1)


def succeeded(attempt: Attempt) -> None:
    """A right password: this attempt does not count against anyone's budget."""
    storage = _storage()
    for charged in attempt.charged:
        _give_back(storage, charged)


def clear_account(email: str) -> None:
    """The owner proved themselves (a reset link): strangers' failures no longer lock them out."""
    _storage().clear("login:account:" + User.normalise_email(email))


def check_password(user: User | None, password: str) -> bool:
    """The password check, taking as long for an unknown account as for a known one (a quick
    answer would tell which addresses have accounts)."""
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    with _dummy_lock:
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
        return _dummy_hashes[method]


def remember_source(user: User, response) -> None:
    """After a sign-in: this device (a long-lived cookie) and address are now the owner's."""
    device = request.cookies.get(DEVICE_COOKIE, "")
    if not 20 <= len(device) <= 64:
        device = secrets.token_urlsafe(24)
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure))
    now = utcnow()
    sources = {_source_hash("ip", request.remote_addr or ""), _source_hash("device", device)}
    known = set(db.session.scalars(sa.select(KnownSignIn.source).where(
        KnownSignIn.user_id == user.id, KnownSignIn.source.in_(sources))))
    db.session.execute(sa.update(KnownSignIn).where(KnownSignIn.user_id == user.id, KnownSignIn.source.in_(known))
                       .values(last_seen_at=now))
    for source in sources - known:
        try:
            with db.session.begin_nested():  # the same device signing in twice at once
                db.session.add(KnownSignIn(user_id=user.id, source=source, last_seen_at=now))
        except IntegrityError:
            pass
    # Forgotten after half a year (KNOWN_SIGN_IN_DAYS; the nightly retention job forgets those of
    # accounts that no longer sign in, saas/retention.py); keeps the table at the size of recent use.
    db.session.execute(sa.delete(KnownSignIn).where(KnownSignIn.user_id == user.id,
                                                    KnownSignIn.last_seen_at < now - _known_for()))

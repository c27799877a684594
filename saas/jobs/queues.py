"""The Redis connection and the RQ queues, declared once."""

from __future__ import annotations

import redis
from flask import current_app
from rq import Queue

from . import embedded

QUEUES = ("default", "documents", "imports")


class QueueUnavailable(RuntimeError):
    """Redis/Valkey cannot be reached: background work is unavailable right now."""


def redis_url(app=None) -> str:
    app = app or current_app
    return app.config["REDIS_URL"] or embedded.url(app.instance_path)


def connection(app=None) -> redis.Redis:
    app = app or current_app
    conn = app.extensions.get("redis")
    if conn is None:
        # Short timeouts: a page that checks the queue must not hang when Redis is down.
        conn = redis.Redis.from_url(redis_url(app), socket_connect_timeout=2, socket_timeout=10)
        app.extensions["redis"] = conn
    return conn


def queue(name: str = "default") -> Queue:
    if name not in QUEUES:
        raise KeyError(f"unknown queue {name!r}: declare it in QUEUES")
    return Queue(name, connection=connection())


def available() -> bool:
    try:
        return bool(connection().ping())
    except (redis.RedisError, OSError):
        return False

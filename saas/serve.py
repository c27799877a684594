"""`flask serve`: the development stack in one command — embedded Valkey (unless REDIS_URL is
set), an RQ worker process and the web server on http://127.0.0.1:5000."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from .jobs import embedded


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host, port):
    app = current_app._get_current_object()
    # SIGTERM (from a supervisor or `timeout`) must also stop the worker and Valkey below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = None
    if not app.config["REDIS_URL"]:
        server = embedded.ensure_running(app.instance_path)
        click.echo(f"embedded Valkey on {embedded.socket_path(app.instance_path)}")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env=os.environ.copy())
    click.echo(f"worker pid {worker.pid}; web on http://{host}:{port}/  (Ctrl-C stops everything)")
    try:
        # Not app.run(): Flask ignores it inside a `flask` command.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
        if server is not None:
            server.stop()

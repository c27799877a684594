"""Background jobs: RQ queues, the `@job` decorator, job records, embedded Valkey, worker CLI."""

from .queues import QueueUnavailable, available  # noqa: F401
from .records import JobRecord  # noqa: F401
from .task import JobContext, JobFailed, job  # noqa: F401


def init_app(app):
    from .cli import worker_command
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(worker_command)

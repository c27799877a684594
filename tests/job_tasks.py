"""Jobs used only by the tests: they are imported by real worker processes."""

import os
import signal

from saas.extensions import db
from saas.jobs import JobRecord, job


@job(retries=0)
def die_mid_run(ctx):
    """Kill the work horse in the middle of the job, as the OOM killer or an operator would."""
    ctx.progress(40)
    os.kill(os.getpid(), signal.SIGKILL)


@job(retries=1, intervals=(0,))
def die_first_time(ctx):
    record = db.session.get(JobRecord, ctx.record_id)
    if record.attempts == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"attempt": record.attempts}

"""Long-running processes (gunicorn workers, the RQ worker) settle once the app is built."""

from __future__ import annotations

import gc


def settle() -> None:
    """Move everything built at start-up (the app, models, templates, catalogues, schemes) out of
    the garbage collector's sight. Full collections then walk only what requests and jobs
    create — a page or an import allocates enough to trigger several — and a forked RQ work
    horse does not copy memory pages just to update collector counters (see `gc.freeze`)."""
    gc.collect()
    gc.freeze()

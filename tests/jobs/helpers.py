"""A real Huey consumer (worker threads and the scheduler) for tests that run jobs through
the queue, as ``flask ntbase worker`` does."""
from __future__ import annotations

import contextlib
import signal
import time

from ntbase.kernel.jobs import jobs_of


@contextlib.contextmanager
def running_worker(app, workers: int = 1, periodic: bool = False):
    huey = jobs_of(app).huey
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                    initial_delay=0.05, max_delay=0.2, scheduler_interval=1,
                                    check_worker_health=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for s, handler in saved.items():  # the consumer installs its own for the main thread
            signal.signal(s, handler)


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``condition()`` until it is truthy or ``timeout`` seconds have passed; returns its
    last value (a bounded wait for a background job, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = condition()
    return value

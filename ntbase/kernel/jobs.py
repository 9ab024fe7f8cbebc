"""Background jobs and the scheduler, on Huey.

Huey runs with no server of its own on the embedded default (its queue is a SQLite file
under ``instance/``) and on Redis in production; one consumer process (``flask ntbase
worker``) runs the jobs and the periodic schedule.

Each domain declares its jobs in ``<domain>/jobs.py`` (listed in ``ntbase.registry.JOBS``)::

    from ntbase.kernel.jobs import every_minute, job

    @job("enrollment.sweep_expired", periodic=every_minute)
    def sweep_expired_job() -> None:
        services.sweep_expired()

A job body runs inside an app context and a ``unit_of_work()``: it commits when it
returns and rolls back when it raises (Huey then retries it when the job has retries).
Jobs take plain values (ids), never ORM objects, and tolerate rows that are gone.

Enqueue with ``enqueue_after_commit(name, *args)`` from services: the job is handed to the
queue only once the surrounding unit of work has committed, so a rolled-back write never
sends a mail or renders a certificate. ``enqueue`` hands it over at once.

``JOBS_URL`` chooses the queue: ``sqlite:///path`` (default ``instance/jobs.sqlite3``),
``redis://host:port/db``, ``memory://`` (a queue in this process that nothing consumes
unless ``run_pending`` is called: the tests' default) or ``immediate`` (each job runs
at once where it is enqueued: only for tests that need it).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper

from ntbase.kernel import uow

log = logging.getLogger(__name__)

every_minute = crontab()  # huey's periodic schedule is minute-granular
hourly = crontab(minute="17")  # minute 17: off the :00 rush of other cron work

Settings = Callable[[dict], dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[..., Any]
    periodic: Callable[[datetime], bool] | None = None
    # task options (retries, retry_delay, retry_backoff…) read from the app config
    settings: Settings | None = None
    options: dict[str, Any] = field(default_factory=dict)


_SPECS: dict[str, JobSpec] = {}


def job(name: str, *, periodic: Callable[[datetime], bool] | None = None, settings: Settings | None = None,
        **options) -> Callable:
    """Declare ``fn`` as the background job ``name`` (unique, "<domain>.<verb>")."""

    def decorator(fn):
        _SPECS[name] = JobSpec(name, fn, periodic, settings, options)
        fn.job_name = name
        return fn

    return decorator


def specs() -> dict[str, JobSpec]:
    return dict(_SPECS)


class Jobs:
    """One app's queue and its tasks (``app.extensions["ntbase_jobs"]``)."""

    def __init__(self, app: Flask, huey: Huey, url: str):
        self.app = app
        self.huey = huey
        self.url = url
        self.tasks: dict[str, TaskWrapper] = {}
        for spec in _SPECS.values():
            self._register(spec)

    def _register(self, spec: JobSpec) -> None:
        app = self.app

        def run_in_unit_of_work(*args, **kwargs):
            with app.app_context(), uow.unit_of_work():
                return spec.fn(*args, **kwargs)

        run_in_unit_of_work.__name__ = spec.fn.__name__
        run_in_unit_of_work.__module__ = spec.fn.__module__
        run_in_unit_of_work.__doc__ = spec.fn.__doc__
        options = dict(spec.options)
        if spec.settings is not None:
            options.update(spec.settings(app.config))
        if spec.periodic is not None:
            wrapper = self.huey.periodic_task(spec.periodic, name=spec.name, **options)(run_in_unit_of_work)
        else:
            wrapper = self.huey.task(name=spec.name, **options)(run_in_unit_of_work)
        self.tasks[spec.name] = wrapper

    def enqueue(self, name: str, *args, delay: float | None = None, **kwargs):
        task = self.tasks[name]
        if delay is not None and delay > 0:
            return task.schedule(args=args, kwargs=kwargs, delay=delay)
        return task(*args, **kwargs)

    def run_pending(self, limit: int = 1000) -> int:
        """Run, here and now, every job waiting in the queue and every scheduled one that is
        due (tests, and ``flask ntbase jobs run-pending`` where no worker runs). Returns the
        number of jobs run."""
        ran = 0
        for task in self.huey.read_schedule():
            self.huey.enqueue(task)
        while ran < limit:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            ran += 1
        return ran

    def describe(self) -> str:
        periodic = sorted(s.name for s in _SPECS.values() if s.periodic is not None)
        return f"queue {redact_url(self.url)}; jobs: {', '.join(sorted(self.tasks))}; periodic: {', '.join(periodic)}"


def redact_url(url: str) -> str:
    """A queue URL fit for a log line (no password)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def make_huey(url: str, name: str = "ntbase") -> Huey:
    if url == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith("memory://"):
        return MemoryHuey(name, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    raise ValueError(f"JOBS_URL must be sqlite:///…, redis://…, memory:// or immediate, not {url!r}")


def init_app(app: Flask) -> None:
    url = app.config["JOBS_URL"]
    app.extensions["ntbase_jobs"] = Jobs(app, make_huey(url, app.config.get("JOBS_NAME", "ntbase")), url)


def jobs_of(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions["ntbase_jobs"]


def enqueue(name: str, *args, delay: float | None = None, **kwargs):
    """Hand job ``name`` to the queue now (``delay`` seconds from now, if given)."""
    return jobs_of().enqueue(name, *args, delay=delay, **kwargs)


def enqueue_after_commit(name: str, *args, delay: float | None = None, at: datetime | None = None,
                         **kwargs) -> None:
    """Hand job ``name`` to the queue once the surrounding unit of work has committed.

    ``at`` (naive China Standard Time, like every stored datetime) schedules it for then.
    A queue that cannot be reached is logged, never raised: the request that caused the
    job has succeeded, and the periodic sweeps pick up what was not handed over.
    """
    app = current_app._get_current_object()

    def hand_over() -> None:
        wait = delay
        if at is not None:
            from ntbase.kernel.db import now

            wait = max(0.0, (at - now()).total_seconds())
        jobs_of(app).enqueue(name, *args, delay=wait, **kwargs)

    uow.after_commit(hand_over)


__all__ = ["job", "every_minute", "hourly", "enqueue", "enqueue_after_commit", "jobs_of", "init_app",
           "make_huey", "Jobs", "specs"]

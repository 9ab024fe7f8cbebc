"""The bulk room's background jobs: bulk verification runs on in the worker (the browser's
progress page only watches), and expired uploads are purged every hour."""
from __future__ import annotations

from ntbase.kernel.db import db
from ntbase.kernel.jobs import enqueue_after_commit, hourly, job
from ntbase.office.bulk import services as bulk
from ntbase.office.bulk.models import BulkJob


@job("office.bulk_step")
def check_bulk_rows(job_id: int) -> None:
    """One chunk of a bulk verification (``bulk.run_step``), then the next as its own job."""
    bulk_job = db.session.get(BulkJob, job_id)
    if bulk_job is None or bulk_job.done:
        return  # purged, or finished by the browser meanwhile
    bulk.run_step(bulk_job)
    if not bulk_job.done:
        enqueue_after_commit("office.bulk_step", job_id)


@job("office.purge_bulk", periodic=hourly)
def purge_expired_bulk_jobs() -> None:
    """Uploaded files and their results are deleted after a day (``bulk.JOB_TTL``)."""
    bulk.purge_jobs()

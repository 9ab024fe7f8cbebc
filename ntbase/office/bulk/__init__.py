"""Bulk verification of certificate and statement codes (BulkJob, BulkChunk): a file in, the
same file out with a result per row; the office API checks lists of codes the same way."""
from ntbase.office.bulk.checks import Item, Result, category_title, check_items
from ntbase.office.bulk.services import (
    create_job,
    export_bytes,
    get_job,
    job_results,
    purge_jobs,
    read_table,
    run_all,
    run_step,
    summarize,
)

__all__ = ["Item", "Result", "category_title", "check_items", "create_job", "export_bytes", "get_job",
           "job_results", "purge_jobs", "read_table", "run_all", "run_step", "summarize"]

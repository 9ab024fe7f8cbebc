"""Certificates' background job: the PDF is rendered once, after issue or a change."""
from __future__ import annotations

from ntbase.certificates import documents
from ntbase.kernel.jobs import job


@job("certificates.render_pdf")
def render_pdf(certificate_id: int) -> None:
    documents.render_and_store(certificate_id)

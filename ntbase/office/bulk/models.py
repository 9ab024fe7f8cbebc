from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ntbase.kernel.db import db, now


class BulkJob(db.Model):
    """An uploaded verification file, processed in chunks by stateless servers.

    The parsed rows may contain ID numbers: they are stored encrypted (AES-GCM, the
    PII key) and jobs are purged after a day (``flask ntbase office purge-bulk``).
    """

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_format: Mapped[str] = mapped_column(sa.String(8))  # csv / xlsx
    columns: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # code / name / id column indexes
    row_count: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    rows_enc: Mapped[str] = mapped_column(sa.Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    finished_at: Mapped[datetime | None]

    @property
    def done(self) -> bool:
        return self.processed >= self.row_count


class BulkChunk(db.Model):
    """Results of rows [start, start + n) of a job, as a JSON list."""

    __tablename__ = "bulk_chunk"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("bulk_job.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    results: Mapped[list] = mapped_column(sa.JSON)

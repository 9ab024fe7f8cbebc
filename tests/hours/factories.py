"""Hours test data: tiny valid evidence files, ledger entries, NTBase course completions."""
from __future__ import annotations

import struct
import zlib
from datetime import date
from decimal import Decimal

from ntbase.hours import status
from ntbase.hours.evidence import store_evidence
from ntbase.hours.models import EntryState, Evidence, LedgerEntry
from ntbase.kernel.db import db, now

TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
TINY_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def tiny_png() -> bytes:
    """A valid 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\xff\xff"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_evidence(owner, data: bytes = TINY_PDF, name: str = "proof.pdf") -> Evidence:
    return store_evidence(owner.id, name, data)


def make_entry(learner, *, year: int | None = None, kind: str = "online_course", category: str = "specialized",
               hours=None, days=None, level=None, region=None, state=EntryState.ACCEPTED, title: str = "外部学习",
               start: date | None = None, end: date | None = None, evidence: bool = False) -> LedgerEntry:
    year = year or now().year
    end = end or date(year, 3, 10)
    entry = LedgerEntry(
        learner_id=learner.id, year=end.year, kind=kind, category=category,
        hours=Decimal(str(hours)) if hours is not None else None,
        days=Decimal(str(days)) if days is not None else None, level=level, region=region, title=title,
        start_date=start or end, end_date=end, state=state, source="external",
        evidence_id=make_evidence(learner).id if evidence else None,
    )
    db.session.add(entry)
    db.session.flush()
    if state == EntryState.ACCEPTED:
        status.refresh([learner.id])  # as the ledger's services keep it (LedgerChanged)
    return entry


def make_completion(learner, course):
    """A completed NTBase enrollment credited to the ledger via record_course_completion."""
    from ntbase.enrollment.models import Enrollment, EnrollmentState
    from ntbase.hours.ledger import record_course_completion

    enrollment = Enrollment(course_id=course.id, learner_id=learner.id, state=EnrollmentState.COMPLETED,
                            price_fen=course.price_fen, completed_at=now())
    db.session.add(enrollment)
    db.session.flush()
    return enrollment, record_course_completion(enrollment)

"""Evidence files: PDF, JPEG or PNG, recognised by their first bytes (never by the name or
the browser's claim), at most 10 MB, stored in the database so every server sees them."""
from __future__ import annotations

import hashlib
import os

from flask_babel import gettext as _

from ntbase.hours.models import Evidence
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
_SIGNATURES = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the magic bytes, or None."""
    for magic, ctype, ext in _SIGNATURES:
        if data.startswith(magic):
            return ctype, ext
    return None


def _safe_name(filename: str, ext: str) -> str:
    base = os.path.basename((filename or "").replace("\\", "/")).strip()
    stem = os.path.splitext(base)[0]
    stem = "".join(ch for ch in stem if ch.isalnum() or ch in " ._-（）()")[:150].strip() or "evidence"
    return stem + ext


def store_evidence(owner_id: int, filename: str, data: bytes, field: str = "evidence") -> Evidence:
    if not data:
        raise DomainError(_("The file is empty. Choose the PDF, JPEG or PNG file again."), field=field)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise DomainError(_("The file is larger than 10 MB. Scan it at a lower resolution or save it as "
                            "a smaller PDF, then choose it again."), field=field)
    kind = sniff(data)
    if kind is None:
        raise DomainError(_("This file is not a PDF, JPEG or PNG (its content is checked, not its name). "
                            "Save or scan the proof in one of these formats and choose it again."), field=field)
    ctype, ext = kind
    ev = Evidence(owner_id=owner_id, filename=_safe_name(filename, ext), content_type=ctype,
                  size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    db.session.add(ev)
    db.session.flush()
    return ev


def can_download(evidence: Evidence, user) -> bool:
    """The owner and the office (title office / HR bureau, admin) only."""
    return bool(user.is_authenticated and (evidence.owner_id == user.id or user.is_office))

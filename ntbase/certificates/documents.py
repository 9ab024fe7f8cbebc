"""Rendered certificate PDFs, stored once and served on download.

A stored copy is used only while it matches the certificate: the digest covers what the
document shows (the signed payload, the state and revocation date, the language) and the
address its QR code points at. That address is ``PUBLIC_BASE_URL``: the worker renders with
no request to learn it from, so without it nothing is stored and every download renders
as before.
"""
from __future__ import annotations

import hashlib
import json
import logging

import sqlalchemy as sa
from flask import current_app

from ntbase.certificates.models import Certificate, CertificateDocument
from ntbase.kernel.db import db, now

log = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "en")
RENDER_VERSION = 1  # bump when pdf.py changes what a certificate looks like


def storing_enabled() -> bool:
    return bool(current_app.config.get("PUBLIC_BASE_URL"))


def digest(cert: Certificate, lang: str) -> str:
    facts = [RENDER_VERSION, lang, cert.payload, cert.signature, cert.state.value,
             cert.revoked_at.isoformat() if cert.revoked_at else "", current_app.config.get("PUBLIC_BASE_URL", "")]
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()


def stored_pdf(cert: Certificate, lang: str) -> bytes | None:
    """The stored PDF when it is up to date, else None (the caller renders it)."""
    if not storing_enabled():
        return None
    return db.session.scalar(sa.select(CertificateDocument.pdf).where(
        CertificateDocument.certificate_id == cert.id, CertificateDocument.lang == lang,
        CertificateDocument.digest == digest(cert, lang)))


def render_and_store(cert_id: int) -> int:
    """Render the certificate in every language whose stored copy is missing or stale.
    Returns the number rendered (0 for a certificate that is gone)."""
    from ntbase.certificates.pdf import render_certificate_pdf  # fpdf2 loads only in the worker

    cert = db.session.get(Certificate, cert_id)
    if cert is None or not storing_enabled():
        return 0
    rendered = 0
    for lang in LANGUAGES:
        want = digest(cert, lang)
        row = db.session.scalar(sa.select(CertificateDocument).where(
            CertificateDocument.certificate_id == cert.id, CertificateDocument.lang == lang))
        if row is not None and row.digest == want:
            continue
        data = render_certificate_pdf(cert, lang)
        if row is None:
            row = CertificateDocument(certificate_id=cert.id, lang=lang)
            db.session.add(row)
        row.digest, row.pdf, row.rendered_at = want, data, now()
        rendered += 1
    db.session.flush()
    log.info("certificate id=%s: %s PDF(s) rendered and stored", cert.id, rendered)
    return rendered

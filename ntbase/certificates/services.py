"""Certificates (培训合格证明): issue, revoke, reissue, correct the name, verify.

Every certificate carries a short code (``codes``) and an Ed25519 signature
(``signing``) over a canonical payload, so it can be checked three ways: by typing the
code on /verify or the API, by scanning its QR (which also carries the payload and the
signature), and offline with the published public keys and the signed revocation list.
Yearly statements (``hours.models.Statement``) share the code and signature scheme and
are found by the same look-up.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ntbase.certificates import codes, signing
from ntbase.certificates.events import (
    CertificateCorrected,
    CertificateIssued,
    CertificateReplaced,
    CertificateRevoked,
)
from ntbase.certificates.models import Certificate, CertificateEvent, CertificateState
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.db import now as _now
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.kernel.events import publish
from ntbase.kernel.history import StateMachine
from ntbase.kernel.security import mask_name

PAYLOAD_VERSION = 1


class CertificateAlreadyRevoked(DomainError):
    def __init__(self, *_args):
        super().__init__(_("This certificate is already revoked."), field="reason", code="conflict")


HISTORY = StateMachine(history=CertificateEvent, owner_key="certificate_id",
                       allowed={None: frozenset({CertificateState.VALID}),
                                CertificateState.VALID: frozenset({CertificateState.REVOKED}),
                                CertificateState.REVOKED: frozenset()},
                       illegal=CertificateAlreadyRevoked, concurrent=CertificateAlreadyRevoked)
REISSUED_REASON = "reissued"


# ---------------------------------------------------------------- payload

def _hours_text(hours) -> str:
    return f"{Decimal(hours).quantize(Decimal('0.1')):f}"


def certificate_payload(cert: Certificate) -> dict:
    """What is signed: the facts a verifier needs, with the holder's name masked."""
    return {
        "v": PAYLOAD_VERSION,
        "type": "certificate",
        "code": cert.code,
        "name": cert.holder_name_masked,
        "course": cert.course_title,
        "base": cert.base_name,
        "category": cert.category,
        "hours": _hours_text(cert.hours),
        "start": cert.start_date.isoformat(),
        "end": cert.end_date.isoformat(),
        "issued": cert.issued_at.replace(microsecond=0).isoformat(),
    }


def _sign_certificate(cert: Certificate) -> None:
    text, signature, kid = signing.sign(certificate_payload(cert))
    cert.payload, cert.signature, cert.key_id = text, signature, kid


def qr_url(cert: Certificate, base_url: str) -> str:
    """What the certificate's QR carries: the verify URL with the code, the signed payload
    (base64url) and the signature, so a verifier holding the public key needs no server."""
    query = urlencode({"c": cert.code, "p": signing.b64u(cert.payload.encode()), "s": cert.signature})
    return f"{base_url.rstrip('/')}/verify?{query}"


def share_url(cert: Certificate, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/verify?code={codes.display(cert.code)}"


# ---------------------------------------------------------------- issuing

def _insert_with_fresh_code(cert: Certificate) -> Certificate:
    """Give ``cert`` a new code and insert it; the unique constraint decides collisions."""
    for _attempt in range(8):
        cert.code = codes.new_code()
        _sign_certificate(cert)
        try:
            with db.session.begin_nested():
                db.session.add(cert)
            return cert
        except IntegrityError:
            if cert in db.session:
                db.session.expunge(cert)
            if db.session.scalar(sa.select(Certificate.id).where(Certificate.code == cert.code)) is None:
                raise  # not a code collision: a real error
    raise DomainError(_("Could not allocate a certificate code. Please try again."))  # pragma: no cover


def issue_certificate(enrollment: Enrollment, now: datetime | None = None) -> Certificate:
    """The certificate for a completed enrollment (returns the valid one if it exists).
    Publishes ``CertificateIssued`` (the hours ledger credits the course)."""
    # Serialise issuers of one enrollment (PostgreSQL row lock; SQLite locks the database on
    # write). The partial unique index uq_certificate_enrollment_valid is the guarantee.
    db.session.execute(sa.select(Enrollment.id).where(Enrollment.id == enrollment.id).with_for_update())
    existing = valid_certificate_of(enrollment.id)
    if existing is not None:
        return existing
    if enrollment.state != EnrollmentState.COMPLETED:
        raise DomainError(_("A certificate is issued only for a completed course."))
    at = (now or _now()).replace(microsecond=0)
    course = enrollment.course
    learner = enrollment.learner
    profile = learner.profile
    if profile is None:
        raise DomainError(_("The learner has no identity profile."))
    first = course.first_session_at or (course.sessions[0].starts_at if course.sessions else at)
    last = course.last_session_at or (course.sessions[-1].ends_at if course.sessions else at)
    cert = Certificate(
        enrollment_id=enrollment.id, learner_id=learner.id, course_id=course.id, base_id=course.base_id,
        holder_name=profile.real_name, holder_name_masked=mask_name(profile.real_name),
        holder_id_masked=profile.id_number_masked, holder_id_hash=profile.id_number_hash,
        course_title=course.title, base_name=course.base.name, category=course.category.value,
        hours=course.hours, start_date=first.date(), end_date=last.date(), year=last.year,
        issued_at=at, state=CertificateState.VALID, revoked_reason="",
    )
    try:
        _insert_with_fresh_code(cert)
    except IntegrityError:
        # another request issued it between our check and our insert: theirs stands
        existing = valid_certificate_of(enrollment.id)
        if existing is None:
            raise
        return existing
    HISTORY.record(cert, None, CertificateState.VALID, None, "issued", at)
    publish(CertificateIssued(cert.id, enrollment.id, cert.learner_id, at))
    return cert


def valid_certificate_of(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(
        Certificate.enrollment_id == enrollment_id, Certificate.state == CertificateState.VALID))


# ---------------------------------------------------------------- who may manage

def can_manage(user, cert: Certificate) -> bool:
    """Staff of the issuing base, the office, or an admin."""
    return bool(user and user.is_authenticated and (user.is_office or user.can_manage_base(cert.base_id)))


def can_view_document(user, cert: Certificate) -> bool:
    """The full document (full name, masked ID): its holder, or who manages it."""
    return bool(user and user.is_authenticated and (user.id == cert.learner_id or can_manage(user, cert)))


def _require_manage(actor, cert: Certificate) -> None:
    if not can_manage(actor, cert):
        raise PermissionDenied()


def get_certificate_or_404(cert_id: int) -> Certificate:
    cert = db.session.get(Certificate, cert_id)
    if cert is None:
        abort(404)
    return cert


def get_by_code(code: str) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == code))


# ---------------------------------------------------------------- revoke, reissue, correct

def revoke_certificate(cert: Certificate, reason: str, actor, now: datetime | None = None) -> Certificate:
    """Revoked stays revoked: the row keeps its code and shows the date and reason."""
    _require_manage(actor, cert)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for revoking the certificate."), field="reason")
    if cert.state == CertificateState.REVOKED:
        raise DomainError(_("This certificate is already revoked."), field="reason")
    at = (now or _now()).replace(microsecond=0)
    # A compare-and-set, so two people revoking (or reissuing) at once change it once.
    HISTORY.transition(cert, CertificateState.REVOKED, actor.id, reason, at, revoked_at=at,
                       revoked_reason=reason[:500], revoked_by_id=actor.id)
    if reason != REISSUED_REASON:
        # the study is no longer proven: the hours stop counting (hours), the learner is told
        publish(CertificateRevoked(cert.id, cert.learner_id, actor.id, cert.revoked_reason, at))
    return cert


def reissue_certificate(cert: Certificate, actor, now: datetime | None = None,
                        holder_name: str | None = None) -> Certificate:
    """A new certificate (new code) replacing ``cert``, which is revoked as "reissued"."""
    _require_manage(actor, cert)
    if cert.state == CertificateState.REVOKED:
        raise DomainError(_("A revoked certificate cannot be reissued."))
    at = (now or _now()).replace(microsecond=0)
    name = (holder_name or cert.holder_name).strip()
    new = Certificate(
        enrollment_id=cert.enrollment_id, learner_id=cert.learner_id, course_id=cert.course_id,
        base_id=cert.base_id, holder_name=name, holder_name_masked=mask_name(name),
        holder_id_masked=cert.holder_id_masked, holder_id_hash=cert.holder_id_hash,
        course_title=cert.course_title, base_name=cert.base_name, category=cert.category,
        hours=cert.hours, start_date=cert.start_date, end_date=cert.end_date, year=cert.year,
        issued_at=at, state=CertificateState.VALID, revoked_reason="", replaces_id=cert.id,
    )
    revoke_certificate(cert, REISSUED_REASON, actor, at)
    _insert_with_fresh_code(new)
    HISTORY.record(new, None, CertificateState.VALID, actor.id, f"reissued in place of {cert.code}", at)
    # whoever points at the certificate in force (the hours ledger) follows the new one
    publish(CertificateReplaced(cert.id, new.id, new.learner_id, at))
    return new


def correct_holder_name(cert: Certificate, new_name: str, actor) -> Certificate:
    """Fix a misspelt name: same code, same issue time, a freshly signed payload."""
    _require_manage(actor, cert)
    name = (new_name or "").strip()
    if not name:
        raise DomainError(_("Enter the holder's name."), field="holder_name")
    if len(name) > 50:
        raise DomainError(_("The name is too long."), field="holder_name")
    if cert.state == CertificateState.REVOKED:
        raise DomainError(_("A revoked certificate cannot be changed."), field="holder_name")
    cert.holder_name = name
    cert.holder_name_masked = mask_name(name)
    _sign_certificate(cert)
    HISTORY.record(cert, cert.state, cert.state, actor.id, "holder name corrected")
    db.session.flush()
    publish(CertificateCorrected(cert.id, cert.learner_id, _now()))
    return cert


# ---------------------------------------------------------------- lists

def certificates_of_learner(learner_id: int) -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.learner_id == learner_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def certificates_of_base(base_id: int, page: int = 1, per_page: int = 50, q: str = ""):
    stmt = sa.select(Certificate).where(Certificate.base_id == base_id)
    q = (q or "").strip()
    if q:
        code = codes.parse(q)
        if code:
            stmt = stmt.where(Certificate.code == code)
        else:
            like = f"%{q}%"
            stmt = stmt.where(sa.or_(Certificate.holder_name.like(like), Certificate.course_title.like(like)))
    stmt = stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() if value is not None else None


# ---------------------------------------------------------------- revocation list

def revocation_list(now: datetime | None = None) -> dict:
    """The signed list of revoked codes for offline verifiers: the ``list`` object is
    signed as canonical JSON (sorted keys, no spaces, UTF-8), the key id inside it."""
    rows = db.session.execute(
        sa.select(Certificate.code, Certificate.revoked_at)
        .where(Certificate.state == CertificateState.REVOKED).order_by(Certificate.code)).all()
    body = {
        "type": "revocations",
        "issuer": "NTBase",
        "issued": (now or _now()).replace(microsecond=0).isoformat(),
        "revoked": [{"code": r.code, "revoked": _iso(r.revoked_at)} for r in rows],
    }
    text, signature, kid = signing.sign(body, create_key_if_none=False)
    return {"list": json.loads(text), "kid": kid, "signature": signature,
            "algorithm": "Ed25519", "canonical": "JSON, sorted keys, no spaces, UTF-8"}


def get_certificate(cert_id: int) -> Certificate | None:
    return db.session.get(Certificate, cert_id)


def valid_certificates_of_course(course_id: int) -> dict[int, Certificate]:
    """enrollment id -> its valid certificate, for a course's completion page."""
    return {c.enrollment_id: c for c in db.session.scalars(sa.select(Certificate).where(
        Certificate.course_id == course_id, Certificate.state == CertificateState.VALID))}


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
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ntbase.accounts.models import User
from ntbase.certificates import codes, signing
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.db import DomainError, PermissionDenied, db
from ntbase.db import now as _now
from ntbase.security import mask_name

PAYLOAD_VERSION = 1
BULK_CHUNK = 1000
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
    from urllib.parse import urlencode

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


def issue_certificate(enrollment, now: datetime | None = None) -> Certificate:
    """The certificate for a completed enrollment (returns the valid one if it exists)."""
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    # Serialise issuers of one enrollment (PostgreSQL row lock; SQLite locks the database on
    # write). The partial unique index uq_certificate_enrollment_valid is the guarantee.
    db.session.execute(sa.select(Enrollment.id).where(Enrollment.id == enrollment.id).with_for_update())
    existing = _valid_certificate_of(enrollment.id)
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
        return _insert_with_fresh_code(cert)
    except IntegrityError:
        # another request issued it between our check and our insert: theirs stands
        existing = _valid_certificate_of(enrollment.id)
        if existing is None:
            raise
        return existing


def _valid_certificate_of(enrollment_id: int) -> Certificate | None:
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
        from flask import abort

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
    # A conditional UPDATE, so two people revoking (or reissuing) at once change it once.
    moved = db.session.execute(
        sa.update(Certificate).where(Certificate.id == cert.id, Certificate.state == CertificateState.VALID)
        .values(state=CertificateState.REVOKED, revoked_at=at, revoked_reason=reason[:500],
                revoked_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(cert)
    if moved != 1:
        raise DomainError(_("This certificate is already revoked."), field="reason")
    if reason != REISSUED_REASON:
        _withdraw_hours(cert)
    return cert


def _withdraw_hours(cert: Certificate) -> None:
    """A revoked certificate no longer proves the study: the course's hours stop counting
    (the entry shows as rejected with the reason) and the learner is told."""
    from ntbase.accounts.services import notify
    from ntbase.hours.models import EntryState, LedgerEntry

    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.certificate_id == cert.id, LedgerEntry.state == EntryState.ACCEPTED)).all()
    for entry in entries:
        entry.state = EntryState.REJECTED
        entry.reviewed_by_id, entry.reviewed_at = cert.revoked_by_id, cert.revoked_at
        entry.review_reason = cert.revoked_reason
    db.session.flush()
    learner = db.session.get(User, cert.learner_id)
    with force_locale((learner.locale if learner else None) or "zh_CN"):
        notify(cert.learner_id, _("Your certificate %(code)s for “%(course)s” has been revoked.",
                                  code=codes.display(cert.code), course=cert.course_title),
               cert.revoked_reason)


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
    # the hours ledger points at the certificate in force
    from ntbase.hours.models import LedgerEntry

    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.certificate_id == cert.id)
                       .values(certificate_id=new.id).execution_options(synchronize_session=False))
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
    db.session.flush()
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


# ---------------------------------------------------------------- verification

@dataclass
class VerifyResult:
    """One uniform answer for /verify, the API and bulk checks. Every key is always
    present (None when it does not apply), so an unknown code looks like any other."""

    code: str | None
    state: str  # valid | revoked | unknown | malformed
    kind: str | None = None  # certificate | statement
    display_code: str | None = None
    holder_name_masked: str | None = None
    course_title: str | None = None
    base_name: str | None = None
    category: str | None = None
    hours: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    issued_at: str | None = None
    revoked_at: str | None = None
    year: int | None = None
    counted_total: str | None = None
    public_hours: str | None = None
    complies: bool | None = None

    @property
    def found(self) -> bool:
        return self.state in ("valid", "revoked")

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def category_title(self) -> str:
        from ntbase.enums import Category

        try:
            return Category(self.category).title if self.category else ""
        except ValueError:
            return self.category or ""


_CERT_COLUMNS = (Certificate.code, Certificate.state, Certificate.holder_name_masked, Certificate.course_title,
                 Certificate.base_name, Certificate.category, Certificate.hours, Certificate.start_date,
                 Certificate.end_date, Certificate.issued_at, Certificate.revoked_at)


def _statement_model():
    from ntbase.hours.models import Statement

    return Statement


def _statement_columns():
    st = _statement_model()
    return (st.code, st.holder_name_masked, st.year, st.counted_total, st.public_hours, st.complies, st.issued_at)


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def _cert_result(row) -> VerifyResult:
    state = row.state.value if isinstance(row.state, CertificateState) else str(row.state)
    return VerifyResult(
        code=row.code, display_code=codes.display(row.code), state=state, kind="certificate",
        holder_name_masked=row.holder_name_masked, course_title=row.course_title, base_name=row.base_name,
        category=row.category, hours=_hours_text(row.hours), start_date=_iso(row.start_date),
        end_date=_iso(row.end_date), issued_at=_iso(row.issued_at),
        revoked_at=_iso(row.revoked_at) if state == "revoked" else None)


def _statement_result(row) -> VerifyResult:
    return VerifyResult(
        code=row.code, display_code=codes.display(row.code), state="valid", kind="statement",
        holder_name_masked=row.holder_name_masked, year=row.year, counted_total=_hours_text(row.counted_total),
        public_hours=_hours_text(row.public_hours), complies=bool(row.complies), issued_at=_iso(row.issued_at))


def _unknown(code: str) -> VerifyResult:
    return VerifyResult(code=code, display_code=codes.display(code), state="unknown")


def malformed_result() -> VerifyResult:
    return VerifyResult(code=None, state="malformed")


def _one_code_statement():
    """Certificates and statements in one indexed UNION ALL: one round trip per code,
    the same work whether the code exists or not."""
    st = _statement_model()
    n = sa.null

    cert = sa.select(
        sa.literal("certificate", sa.String(12)).label("kind"), Certificate.code,
        sa.cast(Certificate.state, sa.String(20)).label("state"), Certificate.holder_name_masked,
        Certificate.course_title, Certificate.base_name, Certificate.category, Certificate.hours,
        Certificate.start_date, Certificate.end_date, Certificate.issued_at, Certificate.revoked_at,
        sa.cast(n(), sa.Integer).label("year"), sa.cast(n(), sa.Numeric(6, 1)).label("counted_total"),
        sa.cast(n(), sa.Numeric(6, 1)).label("public_hours"), sa.cast(n(), sa.Boolean).label("complies"),
    ).where(Certificate.code == sa.bindparam("code"))
    stmt = sa.select(
        sa.literal("statement", sa.String(12)), st.code, sa.literal("valid", sa.String(20)),
        st.holder_name_masked, sa.cast(n(), sa.String(200)), sa.cast(n(), sa.String(100)),
        sa.cast(n(), sa.String(20)), sa.cast(n(), sa.Numeric(6, 1)), sa.cast(n(), sa.Date),
        sa.cast(n(), sa.Date), st.issued_at, sa.cast(n(), sa.DateTime), st.year, st.counted_total,
        st.public_hours, st.complies,
    ).where(st.code == sa.bindparam("code"))
    return sa.union_all(cert, stmt)


_ONE_CODE = None


def verify_code(raw: str) -> VerifyResult:
    """Look a typed or scanned code up. A code whose check character is wrong is answered
    "check the code" without touching the database. Otherwise the same single indexed
    query runs for every code — found or not — so an unknown code costs the same time."""
    global _ONE_CODE
    code = codes.parse(raw)
    if code is None:
        return malformed_result()
    if _ONE_CODE is None:
        _ONE_CODE = _one_code_statement()
    rows = db.session.execute(_ONE_CODE, {"code": code}).all()
    for kind in ("certificate", "statement"):
        for row in rows:
            if row.kind == kind:
                return _cert_result(row) if kind == "certificate" else _statement_result(row)
    return _unknown(code)


def verify_codes_bulk(raw_codes: list[str]) -> dict[str, VerifyResult]:
    """Many codes at once (office bulk checks): keyed by the string as given. One query
    per chunk of ``BULK_CHUNK`` codes for each table; malformed codes cost nothing."""
    parsed: dict[str, str | None] = {raw: codes.parse(raw) for raw in raw_codes}
    wanted = sorted({c for c in parsed.values() if c})
    found: dict[str, VerifyResult] = {}
    statement = _statement_model()
    for i in range(0, len(wanted), BULK_CHUNK):
        chunk = wanted[i:i + BULK_CHUNK]
        for row in db.session.execute(
                sa.select(*_statement_columns()).where(statement.code.in_(chunk))):
            found[row.code] = _statement_result(row)
        # certificates win over statements when (impossibly) both hold one code
        for row in db.session.execute(sa.select(*_CERT_COLUMNS).where(Certificate.code.in_(chunk))):
            found[row.code] = _cert_result(row)
    return {raw: (found.get(code) or _unknown(code)) if code else malformed_result()
            for raw, code in parsed.items()}


@dataclass
class SignatureCheck:
    """Result of checking a QR's payload and signature: genuine or forged; for a genuine
    one also the certificate's current state on this server (it may have been revoked)."""

    signature: str  # genuine | forged
    payload: dict | None
    status: VerifyResult | None

    def as_dict(self) -> dict:
        return {"signature": self.signature, "payload": self.payload,
                "status": self.status.as_dict() if self.status else None}


def decode_qr_payload(payload_b64: str) -> str | None:
    try:
        return signing.unb64u(payload_b64 or "").decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def check_signature(payload_text: str | None, signature: str | None) -> SignatureCheck:
    """Is ``payload_text`` exactly what NTBase signed? Anything else is "forged"."""
    if not payload_text or not signature or not signing.verify(payload_text, signature):
        return SignatureCheck("forged", None, None)
    payload = json.loads(payload_text)
    status = verify_code(str(payload.get("code", "")))
    return SignatureCheck("genuine", payload, status)


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
    text, signature, kid = signing.sign(body)
    return {"list": json.loads(text), "kid": kid, "signature": signature,
            "algorithm": "Ed25519", "canonical": "JSON, sorted keys, no spaces, UTF-8"}

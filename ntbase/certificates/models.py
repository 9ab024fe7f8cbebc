from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.certificates.codes import display
from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


class CertificateState(LabeledEnum):
    VALID = "valid"
    REVOKED = "revoked"

    @classmethod
    def _titles(cls):
        return {"valid": _l("Valid"), "revoked": _l("Revoked")}


class SigningKey(db.Model):
    """Public half of an Ed25519 key; the private half lives outside the database."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    public_key: Mapped[str] = mapped_column(sa.String(100))  # base64url raw 32 bytes
    created_at: Mapped[datetime] = mapped_column(default=now)
    retired_at: Mapped[datetime | None]  # no longer signs; still verifies


class Certificate(db.Model):
    """培训合格证明. A code never changes or disappears; revoked stays revoked."""

    __tablename__ = "certificate"
    __table_args__ = (
        sa.Index("ix_certificate_learner_year", "learner_id", "year"),
        # one valid certificate per enrollment, whatever races between two requests
        # (double-submitted completion, two staff reissuing at once)
        sa.Index("uq_certificate_enrollment_valid", "enrollment_id", unique=True,
                 sqlite_where=sa.text("state = 'valid'"), postgresql_where=sa.text("state = 'valid'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # canonical, no separators
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"), index=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(50))
    holder_name_masked: Mapped[str] = mapped_column(sa.String(50))
    holder_id_masked: Mapped[str] = mapped_column(sa.String(18))
    holder_id_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    course_title: Mapped[str] = mapped_column(sa.String(200))
    base_name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(20))
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    start_date: Mapped[date]
    end_date: Mapped[date]
    year: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=now)
    key_id: Mapped[str] = mapped_column(sa.ForeignKey("signing_key.kid"))
    payload: Mapped[str] = mapped_column(sa.Text)  # canonical JSON that was signed
    signature: Mapped[str] = mapped_column(sa.String(100))  # base64url
    state: Mapped[CertificateState] = mapped_column(
        enum_column(CertificateState, name="certificate_state"), default=CertificateState.VALID
    )
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))

    course = relationship("Course")
    base = relationship("TrainingBase")
    learner = relationship("User", foreign_keys=[learner_id])
    replaces = relationship("Certificate", remote_side=[id], foreign_keys=[replaces_id])

    @property
    def display_code(self) -> str:
        return display(self.code)

    @property
    def is_valid(self) -> bool:
        return self.state == CertificateState.VALID


class CertificateEvent(StateHistoryMixin, db.Model):
    """A certificate's history: issued, revoked (and why), replaced by a reissue."""

    __tablename__ = "certificate_event"

    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate.id"), index=True)



class CertificateDocument(db.Model):
    """The rendered PDF of a certificate in one language, made once by the worker after
    issue (and again after a name correction or a revocation), served on download instead of
    rendering on every request (0.4–0.7 s of CPU each). ``digest`` says what it was rendered
    from: a copy whose digest no longer matches is stale and never served."""

    __tablename__ = "certificate_document"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(sa.String(10))
    digest: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(default=now)

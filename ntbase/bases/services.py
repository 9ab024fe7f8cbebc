from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from ntbase.bases.models import BaseStatusEvent, TrainingBase
from ntbase.db import DomainError, db, now
from ntbase.enums import CertificationStatus


def list_public_bases() -> list[TrainingBase]:
    """Certified bases, for learners (suspended/revoked ones are not listed)."""
    return db.session.scalars(
        sa.select(TrainingBase).where(TrainingBase.status == CertificationStatus.CERTIFIED)
        .order_by(TrainingBase.id)
    ).all()


def list_all_bases() -> list[TrainingBase]:
    return db.session.scalars(sa.select(TrainingBase).order_by(TrainingBase.id)).all()


def get_base_or_404(base_id: int) -> TrainingBase:
    base = db.session.get(TrainingBase, base_id)
    if base is None:
        abort(404)
    return base


def change_base_status(base: TrainingBase, status: CertificationStatus, reason: str,
                       actor_id: int | None) -> BaseStatusEvent:
    """Certify / suspend / revoke (Art. 24/26). A reason is required except to certify."""
    reason = (reason or "").strip()
    if status != CertificationStatus.CERTIFIED and not reason:
        raise DomainError(_("Give a reason for suspending or revoking a base."), field="reason")
    if base.status == CertificationStatus.REVOKED and status != CertificationStatus.REVOKED:
        # a revoked base must be certified anew; this is that act, recorded as such
        pass
    event = BaseStatusEvent(base_id=base.id, from_status=base.status.value, to_status=status.value,
                            reason=reason, actor_id=actor_id)
    base.status = status
    base.status_reason = reason
    base.status_changed_at = now()
    db.session.add(event)
    db.session.flush()
    return event

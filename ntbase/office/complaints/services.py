"""Complaints (Art. 29): a learner files one about a base or an employer; the office
handles it and answers within 30 days of receipt. Services flush only and write the
audit log; the state changes go through ``states.MACHINE``."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload, undefer

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.bases.services import list_all_bases
from ntbase.hours.evidence import store_evidence
from ntbase.hours.models import Evidence
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import CertificationStatus
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.kernel.events import publish
from ntbase.office.complaints.events import ComplaintAnswered
from ntbase.office.complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintState,
    ComplaintTarget,
)
from ntbase.office.complaints.schemas import ComplaintInput
from ntbase.office.complaints.states import MACHINE, illegal_transition

audit.register_actions({
    "complaint.transition": _l("Handled a complaint"),
    "complaint.view": _l("Viewed a complaint"),
    "complaint.file": _l("Opened a complaint's attachment"),
})

ANSWER_DAYS = 30
OPEN_STATES = (ComplaintState.RECEIVED, ComplaintState.IN_PROGRESS)


# ---------------------------------------------------------------- the learner's side
def complaint_bases() -> list[TrainingBase]:
    """The bases a complaint may be about: certified ones first."""
    return sorted(list_all_bases(), key=lambda b: (b.status != CertificationStatus.CERTIFIED, b.id))


def file_complaint(learner: User, data: ComplaintInput, at: datetime | None = None) -> Complaint:
    if not learner.is_learner:
        raise PermissionDenied(_("Only learners file complaints here."))
    if data.target == ComplaintTarget.BASE and db.session.get(TrainingBase, data.base_id) is None:
        raise DomainError(_("Choose the training base."), field="base_id")
    at = at or now()
    evidences = [store_evidence(learner.id, name, body, field="attachments") for name, body in data.files]
    complaint = Complaint(learner_id=learner.id, target=data.target, base_id=data.base_id,
                          employer_name=data.employer_name, subject=data.subject, details=data.details,
                          received_at=at, deadline_at=at + timedelta(days=ANSWER_DAYS),
                          state=ComplaintState.RECEIVED)
    db.session.add(complaint)
    db.session.flush()
    for ev in evidences:
        db.session.add(ComplaintAttachment(complaint_id=complaint.id, evidence_id=ev.id))
    MACHINE.record(complaint, None, ComplaintState.RECEIVED, learner.id, "", at)
    db.session.flush()
    return complaint


def learner_complaints(learner_id: int) -> list[Complaint]:
    return db.session.scalars(
        sa.select(Complaint).where(Complaint.learner_id == learner_id)
        .options(selectinload(Complaint.base), selectinload(Complaint.attachments)
                 .selectinload(ComplaintAttachment.evidence))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    ).all()


# ---------------------------------------------------------------- the office's side
def transition_complaint(complaint: Complaint, to: ComplaintState, actor: User, answer: str = "",
                         note: str = "", at: datetime | None = None) -> Complaint:
    """received → in progress → answered (or straight to answered). Anything else raises."""
    if not actor.is_office:
        raise PermissionDenied(_("Only the office handles complaints."))
    frm = complaint.state
    if not MACHINE.can(frm, to):
        raise illegal_transition(frm, to)
    at = at or now()
    values = {}
    if to == ComplaintState.ANSWERED:
        answer = (answer or "").strip()
        if len(answer) < 5:
            raise DomainError(_("Write the answer the learner will read."), field="answer")
        values = {"answer": answer, "answered_by_id": actor.id, "answered_at": at}
    MACHINE.transition(complaint, to, actor.id, (note or "").strip(), at, **values)
    db.session.flush()
    audit.record("complaint.transition", actor, subject_user_id=complaint.learner_id,
                 object_type="complaint", object_id=complaint.id, detail=f"{frm.value} -> {to.value}")
    if to == ComplaintState.ANSWERED:  # the learner is told (complaints.handlers)
        publish(ComplaintAnswered(complaint.id, complaint.learner_id, complaint.subject, at))
    return complaint


def office_complaints(state: str | None = None) -> list[Complaint]:
    """Open ones first, overdue first within them (earliest deadline first), then answered."""
    stmt = sa.select(Complaint).options(selectinload(Complaint.learner).selectinload(User.profile),
                                        selectinload(Complaint.base))
    if state:
        stmt = stmt.where(Complaint.state == ComplaintState(state))
    answered = sa.case((Complaint.state == ComplaintState.ANSWERED, 1), else_=0)
    stmt = stmt.order_by(answered, Complaint.deadline_at, Complaint.id)
    return db.session.scalars(stmt.limit(1000)).all()


def load_complaint(complaint_id: int) -> Complaint | None:
    return db.session.scalar(
        sa.select(Complaint).where(Complaint.id == complaint_id).options(
            selectinload(Complaint.learner).selectinload(User.profile), selectinload(Complaint.base),
            selectinload(Complaint.attachments).selectinload(ComplaintAttachment.evidence),
            selectinload(Complaint.events), selectinload(Complaint.answered_by))
    )


def complaint_attachment(complaint: Complaint, evidence_id: int) -> Evidence | None:
    for att in complaint.attachments:
        if att.evidence_id == evidence_id:
            return db.session.scalar(sa.select(Evidence).where(Evidence.id == evidence_id)
                                     .options(undefer(Evidence.data)))
    return None


# ---------------------------------------------------------------- figures for the other rooms
def open_count(at: datetime | None = None, *, overdue: bool = False) -> sa.Select:
    """A count of the complaints still open (past their deadline at ``at``, if ``overdue``)."""
    stmt = sa.select(sa.func.count(Complaint.id)).where(Complaint.state.in_(OPEN_STATES))
    return stmt.where(Complaint.deadline_at < (at or now())) if overdue else stmt


def base_complaint_figures(base_id: int, t0: datetime, t1: datetime) -> tuple[int, int]:
    """(complaints about the base received in [t0, t1), of them answered late or overdue)."""
    late = sa.or_(Complaint.answered_at > Complaint.deadline_at,
                  sa.and_(Complaint.answered_at.is_(None), Complaint.deadline_at < now()))
    count, overdue = db.session.execute(
        sa.select(sa.func.count(Complaint.id), sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0))
        .where(Complaint.base_id == base_id, Complaint.received_at >= t0, Complaint.received_at < t1)).one()
    return int(count), int(overdue or 0)

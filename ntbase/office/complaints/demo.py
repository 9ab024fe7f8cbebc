"""Demo complaint: the demo learner complains about the first base's changed schedule. Idempotent."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.kernel.db import db
from ntbase.office.complaints.models import Complaint
from ntbase.office.complaints.schemas import ComplaintInput
from ntbase.office.complaints.services import file_complaint

DEMO_LEARNER = "learner@demo.ntbase"
SUBJECT = "培训通知的上课时间与实际不符"


def load() -> None:
    learner = db.session.scalar(sa.select(User).where(User.email == DEMO_LEARNER))
    base = db.session.scalar(sa.select(TrainingBase).order_by(TrainingBase.id).limit(1))
    if learner is None or base is None:
        return
    if not db.session.scalar(sa.select(Complaint.id).where(Complaint.learner_id == learner.id,
                                                            Complaint.subject == SUBJECT)):
        file_complaint(learner, ComplaintInput(
            target="base", base_id=base.id, subject=SUBJECT,
            details="报名时公布的第二次课为周六上午，临时改到周三下午，未提前通知，也未说明可否退费。"))
        db.session.flush()

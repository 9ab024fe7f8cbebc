"""Office demo data: a complaint and a title applicant for the demo learner. Idempotent."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.kernel.db import db, now
from ntbase.office.models import Complaint, TitleApplication

SUBJECT = "培训通知的上课时间与实际不符"


def load() -> None:
    from ntbase.demo import DEMO_LEARNERS
    from ntbase.office import person, services

    learner = db.session.scalar(sa.select(User).where(User.email == DEMO_LEARNERS[0][0]))
    officer = db.session.scalar(sa.select(User).where(User.email == "office@demo.ntbase"))
    base = db.session.scalar(sa.select(TrainingBase).order_by(TrainingBase.id).limit(1))
    if learner is None or officer is None or base is None:
        return
    if not db.session.scalar(sa.select(Complaint.id).where(Complaint.learner_id == learner.id,
                                                            Complaint.subject == SUBJECT)):
        services.file_complaint(learner, services.ComplaintInput(
            target="base", base_id=base.id, subject=SUBJECT,
            details="报名时公布的第二次课为周六上午，临时改到周三下午，未提前通知，也未说明可否退费。"))
    year = now().year
    if not db.session.scalar(sa.select(TitleApplication.id).where(TitleApplication.learner_id == learner.id,
                                                                   TitleApplication.year == year)):
        person.register_applicant(DEMO_LEARNERS[0][2], year, "nantong", "", officer)
    db.session.flush()

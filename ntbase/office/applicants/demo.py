"""Demo title applicant: the demo learner applies this year to Nantong's committee. Idempotent."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.kernel.db import db, now
from ntbase.office.applicants.models import TitleApplication
from ntbase.office.applicants.services import register_applicant

DEMO_LEARNER = "learner@demo.ntbase"
DEMO_OFFICER = "office@demo.ntbase"


def load() -> None:
    learner = db.session.scalar(sa.select(User).where(User.email == DEMO_LEARNER))
    officer = db.session.scalar(sa.select(User).where(User.email == DEMO_OFFICER))
    if learner is None or officer is None or learner.profile is None:
        return
    year = now().year
    if not db.session.scalar(sa.select(TitleApplication.id).where(TitleApplication.learner_id == learner.id,
                                                                   TitleApplication.year == year)):
        register_applicant(learner.profile.id_number, year, "nantong", "", officer)
        db.session.flush()

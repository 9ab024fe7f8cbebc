"""The demo: three Nantong employers with administrators and staff; the hospital where
张晓明 works has a paid group enrollment, a self-study record and a submitted plan."""
import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.accounts.services import authenticate
from ntbase.employers import demo
from ntbase.employers.models import (
    Employer,
    EmployerKind,
    Membership,
    MembershipState,
    ReviewState,
    SelfStudyRecord,
    TrainingPlan,
)
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours.models import EntryState
from ntbase.kernel.db import db


def test_demo_loads_once(app_ctx):
    from ntbase.demo import load_demo

    load_demo()
    load_demo()
    db.session.commit()
    employers = {e.name: e for e in db.session.scalars(sa.select(Employer))}
    assert set(employers) == {"南通市第一人民医院", "南通市建筑设计研究院", "南通市第一中学"}
    assert {e.kind for e in employers.values()} == {EmployerKind.ENTERPRISE, EmployerKind.PUBLIC_INSTITUTION}
    assert all(e.is_active for e in employers.values())
    for slug in ("hospital", "enterprise", "school"):
        admin = authenticate(f"hr.{slug}@demo.ntbase", demo.DEMO_PASSWORD)
        assert admin is not None and admin.is_employer_admin
    zhang = db.session.scalar(sa.select(User).where(User.email == "learner@demo.ntbase"))
    current = db.session.scalar(sa.select(Membership).where(Membership.learner_id == zhang.id,
                                                            Membership.state == MembershipState.ACTIVE))
    assert current.employer.name == "南通市第一人民医院" and current.source == "profile"
    hospital = employers["南通市第一人民医院"]
    members = db.session.scalars(sa.select(Enrollment).where(Enrollment.group_id.is_not(None))).all()
    assert len(members) == 3 and {e.state for e in members} == {EnrollmentState.CONFIRMED}
    assert all(e.paid_by == "南通市第一人民医院" and e.amount_paid_fen > 0 for e in members)
    record = db.session.scalar(sa.select(SelfStudyRecord))
    assert record.employer_id == hospital.id and record.ledger_entry.state == EntryState.PENDING
    plan = db.session.scalar(sa.select(TrainingPlan))
    assert plan.employer_id == hospital.id and plan.state == ReviewState.SUBMITTED and len(plan.items) == 3
    assert db.session.scalar(sa.select(sa.func.count(Membership.id)).where(
        Membership.state == MembershipState.ACTIVE)) == 7

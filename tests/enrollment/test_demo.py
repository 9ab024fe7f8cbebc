import sqlalchemy as sa

from ntbase.enrollment import demo
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.payments.models import PaymentIntent, PaymentState
from tests.factories import make_course


def test_demo_enrolls_demo_learner_once(app_ctx):
    from ntbase.demo import load_bases, load_users

    bases = load_bases()
    load_users(bases)
    demo.load()  # no courses yet: nothing, silently
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 0
    make_course(bases[0], title="免费公需课", price_fen=0)
    make_course(bases[1], title="收费专业课", price_fen=26000)
    demo.load()
    demo.load()
    db.session.commit()
    rows = db.session.scalars(sa.select(Enrollment).order_by(Enrollment.id)).all()
    assert [r.state for r in rows] == [EnrollmentState.CONFIRMED, EnrollmentState.CONFIRMED]
    intent = db.session.scalars(sa.select(PaymentIntent)).one()
    assert intent.state == PaymentState.SUCCEEDED and intent.amount_fen == 26000
    assert all(r.learner.email == "learner@demo.ntbase" for r in rows)

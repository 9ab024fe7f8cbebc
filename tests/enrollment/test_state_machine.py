import itertools

import pytest
import sqlalchemy as sa

from ntbase.enrollment import services, states
from ntbase.enrollment.models import Enrollment, EnrollmentEvent, EnrollmentState
from ntbase.kernel.db import db
from ntbase.payments import states as pay_states
from ntbase.payments.models import PaymentEvent, PaymentState
from tests.enrollment.helpers import count, intent_of
from tests.factories import make_course

S, P = EnrollmentState, PaymentState


def test_table_shape():
    # terminal states go nowhere; nothing goes back to waitlisted; only an expired hold revives
    assert states.ALLOWED[S.CANCELLED] == states.ALLOWED[S.COMPLETED] == frozenset()
    assert all(S.WAITLISTED not in targets for frm, targets in states.ALLOWED.items() if frm is not None)
    assert states.ALLOWED[S.EXPIRED] == {S.CONFIRMED}
    assert services.transition is states.transition and services.ALLOWED is states.ALLOWED


@pytest.mark.parametrize("frm, to", [(a, b) for a, b in itertools.product(S, S)
                                     if b not in states.ALLOWED[a]])
def test_every_impossible_transition_raises_and_changes_nothing(app_ctx, base_a, learner, frm, to):
    course = make_course(base_a)
    e = Enrollment(course_id=course.id, learner_id=learner.id, state=frm)
    db.session.add(e)
    db.session.flush()
    with pytest.raises(states.IllegalTransition):
        states.transition(e, to, learner.id, "test")
    db.session.expire_all()
    assert e.state == frm and count(EnrollmentEvent) == 0


def test_transition_records_who_when_why(app_ctx, base_a, learner):
    e = services.enroll_learner(make_course(base_a), learner)
    states.transition(e, S.CANCELLED, learner.id, "changed my mind")
    ev = db.session.scalars(sa.select(EnrollmentEvent).order_by(EnrollmentEvent.id.desc())).first()
    assert (ev.from_state, ev.to_state, ev.actor_id, ev.reason) == ("confirmed", "cancelled", learner.id,
                                                                    "changed my mind")
    assert ev.at is not None


def test_stale_copy_cannot_overwrite_a_newer_state(app_ctx, base_a, learner):
    """Compare-and-set: a copy that still believes 'held' loses to the change made meanwhile."""
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner)
    db.session.commit()
    assert e.state == S.HELD  # this copy is loaded now...
    db.session.execute(sa.update(Enrollment).values(state=S.CANCELLED)  # ...another request changes the row
                       .execution_options(synchronize_session=False))
    before = count(EnrollmentEvent)
    with pytest.raises(states.ConcurrentChange):
        states.transition(e, S.CONFIRMED, None, "payment")
    assert count(EnrollmentEvent) == before
    assert db.session.scalar(sa.select(Enrollment.state)) == S.CANCELLED


@pytest.mark.parametrize("frm, to", [(a, b) for a, b in itertools.product(P, P)
                                     if b not in pay_states.ALLOWED[a]])
def test_impossible_payment_transitions(app_ctx, base_a, learner, frm, to):
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner)
    intent = intent_of(e)
    db.session.execute(sa.update(type(intent)).values(state=frm))
    db.session.expire_all()
    before = count(PaymentEvent)
    with pytest.raises(pay_states.IllegalPaymentTransition):
        pay_states.transition(intent, to, None, "test")
    db.session.expire_all()
    assert intent.state == frm and count(PaymentEvent) == before


def test_illegal_transition_message_is_translated(app_ctx, base_a, learner):
    e = Enrollment(course_id=make_course(base_a).id, learner_id=learner.id, state=S.CANCELLED)
    db.session.add(e)
    db.session.flush()
    with app_ctx.test_request_context("/?lang=en"):
        from flask import session

        session["lang"] = "en"
        with pytest.raises(states.IllegalTransition) as exc:
            states.transition(e, S.CONFIRMED, None, "x")
    assert "Cancelled" in exc.value.message or "已取消" in exc.value.message

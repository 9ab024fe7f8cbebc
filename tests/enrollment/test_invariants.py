"""Whole-history checks after a busy day: every state change has its history row (a chain
from creation to the current state), seats equal seat holders, money adds up, and a full ID
number never reaches a log line."""
import logging
from datetime import timedelta

import sqlalchemy as sa

from ntbase.catalog.models import Course, CourseStatus
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment, EnrollmentEvent
from ntbase.kernel.db import db, now
from ntbase.payments.models import PaymentEvent, PaymentIntent, Refund
from tests.enrollment.helpers import intent_of, paid_enrollment, post_webhook, signed_event
from tests.factories import make_course, make_learner


def _busy_day(client, base, staff):
    t = now()
    a = make_course(base, title="甲", price_fen=10000, capacity=2)
    b = make_course(base, title="乙", price_fen=0, capacity=1)
    c = make_course(base, title="丙", price_fen=5000, capacity=3)
    p1 = paid_enrollment(client, a, make_learner())
    late = services.enroll_learner(a, make_learner(), now=t - timedelta(hours=1))  # will expire
    w1 = services.enroll_learner(a, make_learner(), now=t - timedelta(minutes=59))  # waitlisted
    db.session.commit()
    post_webhook(client, *signed_event(intent_of(late).provider_ref, 10000, "payment.failed"))
    services.sweep_expired(t)  # late's hold expires, w1 gets the offer
    db.session.commit()
    services.accept_offer(w1, w1.learner_id)
    db.session.commit()
    post_webhook(client, *signed_event(intent_of(w1).provider_ref, 10000))
    # the expired one pays after all: no seat left, refunded
    db.session.expire_all()
    stale = db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.enrollment_id == late.id)
                               .order_by(PaymentIntent.id)).first()
    assert post_webhook(client, *signed_event(stale.provider_ref, 10000)).json["result"] == "ok: refunded: no seat"
    assert w1.state.value == "confirmed"
    services.staff_refund(p1, 2500, "部分退款", key="a" * 32, staff=staff)
    services.cancel_enrollment(p1, p1.learner_id)
    f1 = services.enroll_learner(b, make_learner())
    f2 = services.enroll_learner(b, make_learner())  # waitlisted
    services.cancel_enrollment(f2, f2.learner_id)
    services.enroll_learner(c, make_learner())  # held
    paid_enrollment(client, c, make_learner())
    db.session.commit()
    c.status, c.cancelled_reason = CourseStatus.CANCELLED, "停办"
    services.on_course_cancelled(c, staff.id)
    db.session.commit()
    return f1


def test_history_chains_seats_and_money_after_a_busy_day(client, base_a, staff_a):
    _busy_day(client, base_a, staff_a)
    db.session.expire_all()
    for e in db.session.scalars(sa.select(Enrollment)).all():
        chain = db.session.scalars(sa.select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == e.id)
                                   .order_by(EnrollmentEvent.id)).all()
        assert chain[0].from_state is None
        for prev, nxt in zip(chain, chain[1:], strict=False):
            assert nxt.from_state == prev.to_state, (e.id, [(x.from_state, x.to_state) for x in chain])
        assert chain[-1].to_state == e.state.value
    for p in db.session.scalars(sa.select(PaymentIntent)).all():
        chain = [ev for ev in db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.payment_id == p.id)
                                                 .order_by(PaymentEvent.id)).all()
                 if ev.from_state != ev.to_state]  # same-state rows note refund webhooks
        assert chain[0].from_state is None
        for prev, nxt in zip(chain, chain[1:], strict=False):
            assert nxt.from_state == prev.to_state
        assert chain[-1].to_state == p.state.value
        refunds = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0))
                                    .where(Refund.payment_id == p.id))
        assert refunds == p.refunded_fen <= p.amount_fen
    for course in db.session.scalars(sa.select(Course)).all():
        assert course.seats_taken == services.seat_holders(course.id) <= course.capacity
    # never a confirmed paid enrollment without money behind it
    for e in db.session.scalars(sa.select(Enrollment).where(Enrollment.state == "confirmed",
                                                            Enrollment.price_fen > 0)).all():
        assert any(p.succeeded_at for p in e.payments)


def test_a_full_id_number_never_reaches_the_logs(client, login, base_a, staff_a, learner, caplog):
    caplog.set_level(logging.DEBUG)
    course = make_course(base_a, price_fen=0)
    db.session.commit()
    idn = learner.profile.id_number
    login(staff_a)
    unknown = idn[:-4] + ("0000" if idn[-4:] != "0000" else "1111")
    for number in (unknown, idn, idn):  # unknown, enrolled, already enrolled
        r = client.post(f"/manage/courses/{course.id}/roster/enroll", data={"id_number": number})
        assert number not in r.get_data(as_text=True)
        assert number not in r.headers.get("Location", "")
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 1
    for record in caplog.records:
        assert idn not in record.getMessage() and unknown not in record.getMessage()

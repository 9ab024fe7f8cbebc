"""The database fails at each write of pay / cancel / refund / sweep / course cancel / retry:
after the rollback nothing is half-updated (seats, states, money, history, notices), and the
same operation then goes through once.

A listener raises OperationalError before the n-th INSERT/UPDATE/DELETE; n runs from 1 until
the operation finishes without reaching it, so every write is a failure point.
"""
import contextlib

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import OperationalError

from ntbase.accounts.models import Notice
from ntbase.catalog.models import CourseStatus
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentIntent, PaymentState, Refund, RefundState
from tests.enrollment.helpers import count, intent_of, paid_enrollment, snapshot
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState


def full_snapshot() -> dict:
    snap = snapshot()
    snap["notices"] = count(Notice)
    snap["refunds"] = db.session.execute(sa.select(Refund.id, Refund.state, Refund.provider_ref)
                                         .order_by(Refund.id)).all()
    snap["holds"] = db.session.execute(sa.select(Enrollment.id, Enrollment.hold_expires_at, Enrollment.offer_expires_at)
                                       .order_by(Enrollment.id)).all()
    return snap


@contextlib.contextmanager
def fail_at_write(n: int):
    seen = {"writes": 0}

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen["writes"] += 1
            if seen["writes"] == n:
                raise OperationalError(statement[:60], params, Exception("server closed the connection"))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def survive_every_failure(op) -> int:
    """Run ``op`` failing at write 1, 2, … until it completes; return the number of failure points."""
    before = full_snapshot()
    for n in range(1, 80):
        with fail_at_write(n):
            try:
                op()
                db.session.commit()
            except OperationalError:
                db.session.rollback()
                g.pop("_login_user", None)
                assert full_snapshot() == before, f"half-updated after a failure at write {n}"
                continue
        return n - 1
    raise AssertionError("the operation never finished")


def _seats(course_id):
    return db.session.scalar(sa.text("SELECT seats_taken FROM course WHERE id = :i"), {"i": course_id})


@pytest.fixture()
def waitlisted_course(client, base_a):
    course = make_course(base_a, price_fen=30000, capacity=1)
    first = paid_enrollment(client, course, make_learner(real_name="甲"))
    second = services.enroll_learner(course, make_learner(real_name="乙"))
    db.session.commit()
    assert second.state == S.WAITLISTED
    return course, first, second


def test_pay_page(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=12000), learner)
    db.session.commit()
    ref = intent_of(e).provider_ref

    def op():
        login(learner)
        client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "alipay"})

    assert survive_every_failure(op) >= 4
    db.session.expire_all()
    assert e.state == S.CONFIRMED and intent_of(e).state == P.SUCCEEDED and intent_of(e).method == "alipay"


def test_learner_cancel_with_refund_and_offer(client, login, waitlisted_course):
    course, first, second = waitlisted_course

    def op():
        login(first.learner)
        r = client.post(f"/me/enrollments/{first.id}/cancel")
        assert r.status_code == 302

    assert survive_every_failure(op) >= 6
    db.session.expire_all()
    assert first.state == S.CANCELLED and intent_of(first).state == P.REFUNDED
    assert second.state == S.OFFERED and _seats(course.id) == 1
    assert count(Refund) == 1


def test_staff_refund(client, login, base_a, staff_a, learner):
    e = paid_enrollment(client, make_course(base_a, price_fen=30000), learner)

    def op():
        services.staff_refund(e, 9000, "部分退款", key="9" * 32, staff=staff_a)

    assert survive_every_failure(op) >= 3
    db.session.expire_all()
    assert intent_of(e).refunded_fen == 9000 and count(Refund) == 1


def test_sweep(app_ctx, base_a):
    course = make_course(base_a, price_fen=5000, capacity=1)
    t = now()
    from datetime import timedelta

    held = services.enroll_learner(course, make_learner(), now=t - timedelta(hours=1))
    waiting = services.enroll_learner(course, make_learner(), now=t - timedelta(minutes=50))
    db.session.commit()
    assert (held.state, waiting.state) == (S.HELD, S.WAITLISTED)

    assert survive_every_failure(lambda: services.sweep_expired(t)) >= 4
    db.session.expire_all()
    assert held.state == S.EXPIRED and intent_of(held).state == P.EXPIRED
    assert waiting.state == S.OFFERED and _seats(course.id) == 1


def test_course_cancel(client, staff_a, waitlisted_course):
    course, first, second = waitlisted_course

    def op():
        course.status, course.cancelled_reason = CourseStatus.CANCELLED, "停办"
        services.on_course_cancelled(course, staff_a.id)

    assert survive_every_failure(op) >= 5
    db.session.expire_all()
    assert {first.state, second.state} == {S.CANCELLED}
    assert intent_of(first).state == P.REFUNDED and _seats(course.id) == 0


def test_refund_retry(client, base_a, staff_a, learner, monkeypatch):
    from tests.enrollment.helpers import pending_refunds

    e = paid_enrollment(client, make_course(base_a, price_fen=30000), learner)
    with monkeypatch.context() as m:
        pending_refunds(m)
        services.cancel_enrollment(e, learner.id)
    refund = db.session.scalars(sa.select(Refund)).one()
    refund.state = RefundState.FAILED
    db.session.commit()

    assert survive_every_failure(lambda: payments.retry_refund(refund, staff_a.id)) >= 2
    db.session.expire_all()
    assert refund.state == RefundState.SUCCEEDED
    assert db.session.scalar(sa.select(PaymentIntent.refunded_fen)) == 30000


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_failure_at_commit(client, login, base_a, learner, monkeypatch, action):
    e = paid_enrollment(client, make_course(base_a, price_fen=30000), learner) if action == "cancel" else \
        services.enroll_learner(make_course(base_a, price_fen=30000), learner)
    db.session.commit()
    before = full_snapshot()
    login(learner)

    def dropped():
        raise OperationalError("COMMIT", {}, Exception("connection dropped"))

    monkeypatch.setattr(db.session, "commit", dropped, raising=False)
    with pytest.raises(OperationalError):
        if action == "pay":
            client.post(f"/pay/sandbox/{intent_of(e).provider_ref}", data={"action": "pay", "method": "card"})
        else:
            client.post(f"/me/enrollments/{e.id}/cancel")
    monkeypatch.undo()
    db.session.rollback()
    assert full_snapshot() == before

"""Fixes from the review of issue #4; each test failed before its fix."""
import base64
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.enrollment import ics, services
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.payments.models import PaymentEvent, PaymentState
from tests.enrollment.helpers import (
    intent_of,
    paid_enrollment,
    post_webhook,
    signed_event,
    snapshot,
)
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState


def _seats(course_id):
    return db.session.scalar(sa.text("SELECT seats_taken FROM course WHERE id = :i"), {"i": course_id})


def test_a_refused_enrollment_is_explained_once(client, login, base_a, learner):
    t = now()
    course = make_course(base_a, enroll_opens_at=t + timedelta(days=2))
    db.session.commit()
    login(learner)
    r = client.post(f"/courses/{course.id}/enroll")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and html.count("报名将于") == 1


def test_checkout_after_paying_says_it_is_paid(client, login, base_a, learner):
    e = paid_enrollment(client, make_course(base_a, price_fen=500), learner)
    login(learner)
    r = client.get(f"/me/enrollments/{e.id}/pay", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "该报名已付款并确认" in html and "重新报名" not in html


def test_accepting_an_offer_twice_goes_on_to_pay(client, login, base_a, learner):
    course = make_course(base_a, price_fen=800, capacity=1)
    first = services.enroll_learner(course, make_learner())
    e = services.enroll_learner(course, learner)
    services.cancel_enrollment(first, first.learner_id)
    db.session.commit()
    assert e.state == S.OFFERED
    login(learner)
    assert client.post(f"/me/enrollments/{e.id}/accept").headers["Location"].endswith(f"/me/enrollments/{e.id}/pay")
    r = client.post(f"/me/enrollments/{e.id}/accept")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/me/enrollments/{e.id}/pay")


def test_second_click_on_pay_does_nothing_and_says_so(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=12000), learner)
    db.session.commit()
    ref = intent_of(e).provider_ref
    login(learner)
    client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "wechat"})
    before = snapshot()
    r = client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "wechat"}, follow_redirects=True)
    assert "这笔款项已支付" in r.get_data(as_text=True)
    assert snapshot() == before
    successes = db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.to_state == "succeeded")).all()
    assert len(successes) == 1


def test_calendar_token_carries_no_part_of_the_password_hash(client, learner):
    token = ics.calendar_token(learner)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert payload["u"] == learner.id
    assert payload["h"] not in learner.password_hash
    assert client.get(f"/calendar/{token}.ics").status_code == 200


@pytest.mark.parametrize("payload", [{"u": [1]}, {"u": "1"}, [1], {"h": "x"}])
def test_calendar_refuses_signed_but_malformed_tokens(client, learner, payload):
    from itsdangerous import URLSafeSerializer

    token = URLSafeSerializer(client.application.config["SECRET_KEY"], salt="ics-feed").dumps(payload)
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_course_cancelled_notice_is_complete(client, base_a, staff_a):
    from ntbase.catalog.models import CourseStatus

    course = make_course(base_a, title="数控加工", price_fen=20000, capacity=1)
    a, b = make_learner(), make_learner()
    ea = paid_enrollment(client, course, a)
    services.enroll_learner(course, b)  # waitlisted
    db.session.commit()
    course.status, course.cancelled_reason = CourseStatus.CANCELLED, "讲师生病"
    services.on_course_cancelled(course, staff_a.id)
    db.session.commit()
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == a.id, Notice.title.like("课程已取消%"))).all()
    assert len(notices) == 1 and "¥200.00" in notices[0].body and "讲师生病" in notices[0].body
    waiting = db.session.scalars(sa.select(Notice).where(Notice.user_id == b.id)).all()
    assert len(waiting) == 1 and "讲师生病" in waiting[0].body and "¥" not in waiting[0].body
    assert ea.state == S.CANCELLED


def test_cancelling_a_course_sends_one_notice_per_learner(client, base_a, staff_a):
    """The enrollment hook's notice is the complete one (reason + refund), and the only one."""
    from ntbase.catalog import services as catalog

    course = make_course(base_a, price_fen=1000, capacity=3)
    learner = make_learner()
    paid_enrollment(client, course, learner)
    catalog.cancel_course(course, "场地维修", staff_a.id)
    db.session.commit()
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == learner.id,
                                                         Notice.title.like("课程已取消%"))).all()
    assert len(notices) == 1 and "场地维修" in notices[0].body and "¥10.00" in notices[0].body


# --- payments racing the clock and the base ---------------------------------------------------

def test_payment_after_hold_time_but_before_the_sweep_confirms(client, base_a, learner):
    """The seat was still counted for the learner: the payment keeps it, nothing is refunded."""
    course = make_course(base_a, price_fen=5000, capacity=1)
    e = services.enroll_learner(course, learner, now=now() - timedelta(minutes=30))
    db.session.commit()
    assert e.hold_expires_at < now()
    r = post_webhook(client, *signed_event(intent_of(e).provider_ref, 5000))
    assert r.json["result"] == "ok: enrollment confirmed"
    db.session.expire_all()
    assert e.state == S.CONFIRMED and _seats(course.id) == 1
    assert services.sweep_expired().expired_holds == 0


def test_course_cancelled_while_paying_closes_the_pay_page(client, login, base_a, staff_a, learner):
    from ntbase.catalog.models import CourseStatus

    course = make_course(base_a, price_fen=5000)
    e = services.enroll_learner(course, learner)
    db.session.commit()
    course.status = CourseStatus.CANCELLED
    services.on_course_cancelled(course, staff_a.id)
    db.session.commit()
    login(learner)
    ref = intent_of(e).provider_ref
    before = snapshot()
    html = client.get(f"/pay/sandbox/{ref}").get_data(as_text=True)
    assert 'value="pay"' not in html
    client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "wechat"})
    assert snapshot() == before
    assert db.session.scalar(sa.select(Enrollment.state)) == S.CANCELLED and _seats(course.id) == 0


def test_my_courses_lists_current_enrollments_before_past_ones(client, login, base_a, learner):
    services.enroll_learner(make_course(base_a, title="正在上的课"), learner)
    newer = services.enroll_learner(make_course(base_a, title="已取消的课"), learner)
    services.cancel_enrollment(newer, learner.id)
    db.session.commit()
    login(learner)
    html = client.get("/me/courses").get_data(as_text=True)
    assert html.index("正在上的课") < html.index('id="past"') < html.index("已取消的课")


def test_cancelling_an_expired_hold_says_it_expired(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner, now=now() - timedelta(hours=1))
    db.session.commit()
    login(learner)
    client.get("/me/courses")  # the lazy sweep expires the hold
    r = client.post(f"/me/enrollments/{e.id}/cancel", follow_redirects=True)
    assert "该报名已过期，无需取消" in r.get_data(as_text=True)

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.catalog.models import Course
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment, EnrollmentEvent, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import CertificationStatus
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentIntent, PaymentState
from tests.enrollment.helpers import count
from tests.factories import make_course, make_learner

S = EnrollmentState


def seats(course) -> int:
    return db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))


def test_free_course_confirms_at_once(app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=0, capacity=5)
    e = services.enroll_learner(course, learner)
    db.session.commit()
    assert e.state == S.CONFIRMED and e.confirmed_at is not None
    assert seats(course) == 1
    assert count(PaymentIntent) == 0
    ev = db.session.scalars(sa.select(EnrollmentEvent)).one()
    assert (ev.from_state, ev.to_state, ev.actor_id) == (None, "confirmed", learner.id)
    assert e.checkin_token and len(e.checkin_token) >= 24


def test_paid_course_holds_seat_and_creates_intent(app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=12000, capacity=5)
    t = now()
    e = services.enroll_learner(course, learner, now=t)
    db.session.commit()
    assert e.state == S.HELD
    assert e.hold_expires_at == t + timedelta(minutes=15)
    intent = db.session.scalars(sa.select(PaymentIntent)).one()
    assert (intent.amount_fen, intent.state, intent.currency) == (12000, PaymentState.PENDING, "CNY")
    assert intent.expires_at == e.hold_expires_at
    assert intent.provider_ref.startswith("sbx_pi_")
    assert seats(course) == 1


def test_hold_minutes_from_config(app_ctx, base_a, learner):
    app_ctx.config["HOLD_MINUTES"] = 7
    try:
        course = make_course(base_a, price_fen=100)
        t = now()
        e = services.enroll_learner(course, learner, now=t)
        assert e.hold_expires_at == t + timedelta(minutes=7)
    finally:
        app_ctx.config["HOLD_MINUTES"] = 15


def test_enrolling_twice_is_refused(app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=0)
    services.enroll_learner(course, learner)
    with pytest.raises(DomainError) as exc:
        services.enroll_learner(course, learner)
    assert exc.value.code == "duplicate"
    assert seats(course) == 1 and count(Enrollment) == 1


def test_database_refuses_a_second_live_enrollment(app_ctx, base_a, learner):
    """The partial unique index backs the service check."""
    from sqlalchemy.exc import IntegrityError

    course = make_course(base_a)
    services.enroll_learner(course, learner)
    db.session.commit()
    db.session.add(Enrollment(course_id=course.id, learner_id=learner.id, state=S.WAITLISTED))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # a cancelled one does not count: enrolling again after cancelling works
    e = db.session.scalars(sa.select(Enrollment)).one()
    services.cancel_enrollment(e, learner.id)
    again = services.enroll_learner(course, learner)
    db.session.commit()
    assert again.state == S.CONFIRMED and count(Enrollment) == 2


@pytest.mark.parametrize("change, code", [
    ({"enroll_closes_at": now() - timedelta(hours=1)}, "window"),
    ({"enroll_opens_at": now() + timedelta(days=1)}, "window"),
    ({"status": "cancelled"}, "cancelled"),
    ({"status": "draft"}, "not_published"),
])
def test_closed_courses_refuse(app_ctx, base_a, learner, change, code):
    from ntbase.catalog.models import CourseStatus

    course = make_course(base_a, price_fen=500)
    for k, v in change.items():
        setattr(course, k, CourseStatus(v) if k == "status" else v)
    db.session.flush()
    with pytest.raises(DomainError) as exc:
        services.enroll_learner(course, learner)
    assert exc.value.code == code
    assert count(Enrollment) == 0 and seats(course) == 0 and count(PaymentIntent) == 0


def test_uncertified_base_refuses(app_ctx, base_a, learner):
    course = make_course(base_a)
    base_a.status = CertificationStatus.SUSPENDED
    db.session.flush()
    with pytest.raises(DomainError) as exc:
        services.enroll_learner(course, learner)
    assert exc.value.code == "base_not_certified"


def test_full_course_waitlists_in_order(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=2)
    people = [make_learner() for _ in range(4)]
    rows = [services.enroll_learner(course, p) for p in people]
    assert [r.state for r in rows] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    assert seats(course) == 2
    assert [services.waitlist_position(r) for r in rows[2:]] == [1, 2]
    assert services.waitlist_positions(rows) == {rows[2].id: 1, rows[3].id: 2}


# --- through the page -------------------------------------------------------------------

def test_enroll_page_shows_course_and_button(client, login, base_a, learner):
    course = make_course(base_a, title="安全生产法规", price_fen=9900)
    db.session.commit()
    login(learner)
    html = client.get(f"/courses/{course.id}/enroll").get_data(as_text=True)
    assert "安全生产法规" in html and "¥99.00" in html
    assert f'action="/courses/{course.id}/enroll"' in html


def test_enroll_paid_redirects_to_checkout(client, login, base_a, learner):
    course = make_course(base_a, price_fen=9900)
    db.session.commit()
    login(learner)
    r = client.post(f"/courses/{course.id}/enroll")
    e = db.session.scalars(sa.select(Enrollment)).one()
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/me/enrollments/{e.id}/pay")


def test_second_click_gets_friendly_message(client, login, base_a, learner):
    course = make_course(base_a)
    db.session.commit()
    login(learner)
    client.post(f"/courses/{course.id}/enroll")
    r = client.post(f"/courses/{course.id}/enroll", follow_redirects=True)
    assert "您已报名该课程" in r.get_data(as_text=True)
    assert count(Enrollment) == 1 and seats(course) == 1


def test_race_past_the_check_is_caught_by_the_index(client, login, base_a, learner, monkeypatch):
    """Two clicks both pass the look-up: the unique index stops the second, politely."""
    course = make_course(base_a, price_fen=0, capacity=5)
    db.session.commit()
    login(learner)
    client.post(f"/courses/{course.id}/enroll")
    monkeypatch.setattr(services, "live_enrollment", lambda *a: None)
    r = client.post(f"/courses/{course.id}/enroll", follow_redirects=True)
    assert r.status_code == 200 and "您已报名该课程" in r.get_data(as_text=True)
    db.session.expire_all()
    assert count(Enrollment) == 1 and seats(course) == 1


def test_closed_window_message_on_page(client, login, base_a, learner):
    course = make_course(base_a, enroll_closes_at=now() - timedelta(minutes=1))
    db.session.commit()
    login(learner)
    r = client.post(f"/courses/{course.id}/enroll")
    assert r.status_code == 422
    assert "报名已于" in r.get_data(as_text=True)
    assert count(Enrollment) == 0


def test_cancelled_course_message_on_page(client, login, base_a, learner):
    course = make_course(base_a, status="cancelled")
    db.session.commit()
    login(learner)
    r = client.post(f"/courses/{course.id}/enroll?lang=en")
    assert r.status_code == 422 and "has been cancelled" in r.get_data(as_text=True)
    assert count(Enrollment) == 0


def test_staff_cannot_enroll(client, login, base_a, staff_a):
    course = make_course(base_a)
    db.session.commit()
    login(staff_a)
    assert client.post(f"/courses/{course.id}/enroll").status_code == 403


def test_anonymous_is_sent_to_login(client, base_a):
    course = make_course(base_a)
    db.session.commit()
    r = client.post(f"/courses/{course.id}/enroll")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    assert client.get("/courses/999999/enroll").status_code == 302


def test_unknown_course_404(client, login, learner):
    login(learner)
    assert client.post("/courses/999999/enroll").status_code == 404


# --- CSRF -----------------------------------------------------------------------------------

def _csrf_token(c, course_id):
    import re

    html = c.get(f"/courses/{course_id}/enroll").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_missing_forged_or_foreign_csrf_token_is_refused(app_ctx, make_app, base_a):
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        a, b = make_learner(), make_learner()
        course = make_course(base_a, price_fen=0)
        db.session.commit()
        ids = (a.id, b.id, course.id)
    ca, cb = app.test_client(), app.test_client()
    for c, uid in ((ca, ids[0]), (cb, ids[1])):
        with c.session_transaction() as sess:
            sess["_user_id"] = str(uid)
            sess["_fresh"] = True
    cid = ids[2]
    assert ca.post(f"/courses/{cid}/enroll").status_code == 400
    assert ca.post(f"/courses/{cid}/enroll", data={"csrf_token": "forged.token.value"}).status_code == 400
    # a genuine token from another session is not accepted either
    token_b = _csrf_token(cb, cid)
    r = ca.post(f"/courses/{cid}/enroll", data={"csrf_token": token_b})
    assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True)
    with app.app_context():
        assert count(Enrollment) == 0
    # with its own token it works
    r = ca.post(f"/courses/{cid}/enroll", data={"csrf_token": _csrf_token(ca, cid)})
    assert r.status_code == 302
    with app.app_context():
        assert count(Enrollment) == 1

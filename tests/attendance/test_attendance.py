from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ntbase.attendance import services
from ntbase.attendance.models import AssessmentResult, Attendance
from ntbase.certificates.models import Certificate
from ntbase.enrollment.models import EnrollmentEvent, EnrollmentState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests.attendance.helpers import attend_all, enroll, login_as, past_course
from tests.factories import make_course, make_learner


@pytest.fixture()
def course(base_a):
    c = past_course(base_a, sessions=4, attendance_required_pct=75)
    db.session.commit()
    return c


# ------------------------------------------------------------ venue QR (rotating)

def test_venue_token_rotates_every_minute_and_accepts_only_current_and_previous(course):
    s = course.sessions[0]
    t = now().replace(second=10, microsecond=0)
    token = services.venue_token(s, t)
    assert services.venue_token_is_current(s, token, t)
    assert services.venue_token_is_current(s, token, t + timedelta(seconds=49))   # same minute
    assert services.venue_token_is_current(s, token, t + timedelta(seconds=60))   # next minute
    assert not services.venue_token_is_current(s, token, t + timedelta(seconds=120))  # a photo sent on
    assert not services.venue_token_is_current(s, token, t - timedelta(seconds=60))   # not from the future
    assert services.venue_token(s, t + timedelta(seconds=60)) != token
    # one session's code does not check in to another
    other = course.sessions[1]
    services.venue_token(other, t)
    assert not services.venue_token_is_current(other, token, t)
    assert not services.venue_token_is_current(s, "", t)


def test_learner_checks_in_by_venue_qr(course):
    enr = enroll(course)
    s = course.sessions[0]
    t = now()
    token = services.venue_token(s, t)
    services.checkin_venue_qr(s, token, enr.learner_id, now=t + timedelta(seconds=30))
    services.checkin_venue_qr(s, token, enr.learner_id, now=t + timedelta(seconds=40))  # twice: one row
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.enrollment_id == enr.id)).all()
    assert len(rows) == 1 and rows[0].method == "venue_qr" and rows[0].present
    with pytest.raises(DomainError, match="过期|expired"):
        services.checkin_venue_qr(s, token, enr.learner_id, now=t + timedelta(minutes=3))


def test_venue_qr_needs_a_confirmed_enrollment(course):
    outsider = make_learner()
    s = course.sessions[0]
    token = services.venue_token(s)
    with pytest.raises(DomainError):
        services.checkin_venue_qr(s, token, outsider.id)
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_venue_pages(client, login, staff_a, course):
    enr = enroll(course)
    db.session.commit()
    s = course.sessions[0]
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/sessions/{s.id}/venue")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<svg" in html and 'http-equiv="refresh"' in html
    db.session.refresh(s)
    token = services.venue_token(s)
    assert f"/checkin/s/{s.id}/" in html
    login_as(login, enr.learner)
    r = client.get(f"/checkin/s/{s.id}/{token}")
    assert r.status_code == 200 and "confirm-checkin" in r.get_data(as_text=True)
    r = client.post(f"/checkin/s/{s.id}/{token}")
    assert r.status_code == 200 and "checkin-done" in r.get_data(as_text=True)
    row = db.session.scalar(sa.select(Attendance).where(Attendance.enrollment_id == enr.id))
    assert row.method == "venue_qr"
    # a made-up token is refused
    r = client.post(f"/checkin/s/{s.id}/AAAAAAAAAAAA")
    assert r.status_code == 422


def test_venue_checkin_needs_login(client, course):
    s = course.sessions[0]
    r = client.get(f"/checkin/s/{s.id}/whatever")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]


# ------------------------------------------------------------ learner QR (staff scan)

def test_staff_scan_learner_qr_by_token_or_url(client, login, staff_a, course):
    enr = enroll(course)
    token = services.ensure_checkin_token(enr)
    db.session.commit()
    s = course.sessions[0]
    login(staff_a)
    r = client.post(f"/manage/courses/{course.id}/sessions/{s.id}/scan",
                    data={"token": f"http://x.example/checkin/e/{token}?s={s.id}"})
    assert r.status_code == 302
    row = db.session.scalar(sa.select(Attendance).where(Attendance.session_id == s.id))
    assert row.enrollment_id == enr.id and row.method == "learner_qr" and row.marked_by_id == staff_a.id
    r = client.post(f"/manage/courses/{course.id}/sessions/{s.id}/scan", data={"token": "nonsense"})
    assert r.status_code == 422 and 'id="token-err"' in r.get_data(as_text=True)


def test_learner_qr_of_another_course_is_refused(base_a, course):
    other = make_course(base_a, title="另一门课")
    enr = enroll(other)
    token = services.ensure_checkin_token(enr)
    with pytest.raises(DomainError):
        services.checkin_learner_qr(course.sessions[0], token, None)


def test_phone_camera_opens_learner_link_and_staff_confirm(client, login, staff_a, course):
    enr = enroll(course)
    token = services.ensure_checkin_token(enr)
    db.session.commit()
    s2 = course.sessions[1]
    login(staff_a)
    r = client.get(f"/checkin/e/{token}?s={s2.id}")
    assert r.status_code == 200 and enr.learner.name in r.get_data(as_text=True)
    r = client.post(f"/checkin/e/{token}", data={"s": s2.id})
    assert r.status_code == 302
    row = db.session.scalar(sa.select(Attendance).where(Attendance.enrollment_id == enr.id))
    assert row.session_id == s2.id and row.method == "learner_qr"
    assert client.get("/checkin/e/unknown-token").status_code == 404


def test_learner_sees_own_checkin_qr(client, login, course):
    enr = enroll(course)
    db.session.commit()
    login(enr.learner)
    r = client.get("/me/checkin")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<svg" in html and course.title in html
    db.session.refresh(enr)
    assert enr.checkin_token  # created lazily, then kept
    token = enr.checkin_token
    client.get("/me/checkin")
    db.session.refresh(enr)
    assert enr.checkin_token == token


# ------------------------------------------------------------ roster

def test_roster_ticks_and_all_present(client, login, staff_a, course):
    e1, e2 = enroll(course), enroll(course)
    db.session.commit()
    s = course.sessions[0]
    login(staff_a)
    url = f"/manage/courses/{course.id}/sessions/{s.id}/roster"
    assert e1.learner.name in client.get(url).get_data(as_text=True)
    client.post(url, data={"present": [str(e1.id)]})
    marks = {a.enrollment_id: a.present for a in db.session.scalars(sa.select(Attendance))}
    assert marks == {e1.id: True, e2.id: False}
    client.post(url, data={"all": "1"})
    db.session.expire_all()
    assert all(a.present for a in db.session.scalars(sa.select(Attendance)))
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 2


def test_one_attendance_per_learner_and_session_in_the_database(course):
    from sqlalchemy.exc import IntegrityError

    enr = enroll(course)
    s = course.sessions[0]
    db.session.add(Attendance(session_id=s.id, enrollment_id=enr.id))
    db.session.flush()
    db.session.add(Attendance(session_id=s.id, enrollment_id=enr.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# ------------------------------------------------------------ assessment

@pytest.fixture()
def assessed(base_a):
    c = past_course(base_a, sessions=2, has_assessment=True, pass_mark=70)
    db.session.commit()
    return c


def test_assessment_pass_mark_and_one_resit(assessed):
    enr = enroll(assessed)
    r1 = services.record_assessment(enr, 50, None)
    assert (r1.attempt, r1.passed) == (1, False)
    r2 = services.record_assessment(enr, 70, None)
    assert (r2.attempt, r2.passed) == (2, True)
    with pytest.raises(DomainError):
        services.record_assessment(enr, 90, None)


def test_no_resit_after_a_pass_nor_a_third_attempt(assessed):
    passed, failed = enroll(assessed), enroll(assessed)
    services.record_assessment(passed, 88, None)
    with pytest.raises(DomainError, match="通过|passed"):
        services.record_assessment(passed, 95, None)
    services.record_assessment(failed, 10, None)
    services.record_assessment(failed, 20, None)
    with pytest.raises(DomainError, match="补考|resit"):
        services.record_assessment(failed, 99, None)


@pytest.mark.parametrize("score", [-1, 101, None])
def test_score_out_of_range(assessed, score):
    enr = enroll(assessed)
    with pytest.raises(DomainError) as exc:
        services.record_assessment(enr, score, None)
    assert exc.value.field == "score"


def test_no_assessment_on_a_course_without_one(course):
    with pytest.raises(DomainError):
        services.record_assessment(enroll(course), 80, None)


def test_assessment_via_page(client, login, staff_a, assessed):
    enr = enroll(assessed)
    db.session.commit()
    login(staff_a)
    r = client.post(f"/manage/courses/{assessed.id}/enrollments/{enr.id}/assessment", data={"score": "65"})
    assert r.status_code == 302
    res = db.session.scalar(sa.select(AssessmentResult))
    assert (res.score, res.passed, res.recorded_by_id) == (65, False, staff_a.id)
    client.post(f"/manage/courses/{assessed.id}/enrollments/{enr.id}/assessment", data={"score": "200"})
    assert db.session.scalar(sa.select(sa.func.count(AssessmentResult.id))) == 1


# ------------------------------------------------------------ completion

def test_completion_rule_reasons(course, assessed):
    t = now()
    assert services.completion_reasons(course, 3, 4, False, EnrollmentState.CONFIRMED, t) == []
    assert services.completion_reasons(course, 2, 4, False, EnrollmentState.CONFIRMED, t)  # 50% < 75%
    assert services.completion_reasons(assessed, 2, 2, False, EnrollmentState.CONFIRMED, t)  # not passed
    assert services.completion_reasons(assessed, 2, 2, True, EnrollmentState.CONFIRMED, t) == []
    future = make_course(course.base)
    reasons = services.completion_reasons(future, 2, 2, False, EnrollmentState.CONFIRMED, t)
    assert any("结束" in r or "finished" in r for r in reasons)


def test_complete_enrollment_issues_certificate_and_credits_hours(course):
    enr = enroll(course)
    for s in course.sessions[:3]:  # 3 of 4 = 75 %
        services._set_attendance(s, enr, True, "roster", None, now())
    seats = course.seats_taken
    cert = services.complete_enrollment(enr, actor_id=None)
    db.session.commit()
    assert enr.state == EnrollmentState.COMPLETED and enr.completed_at is not None
    ev = db.session.scalars(sa.select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == enr.id)
                            .order_by(EnrollmentEvent.id)).all()[-1]
    assert (ev.from_state, ev.to_state) == ("confirmed", "completed")
    assert cert.code and cert.course_title == course.title and cert.hours == Decimal("12.0")
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.enrollment_id == enr.id))
    assert entry.certificate_id == cert.id and entry.year == course.last_session_at.year
    assert entry.hours == course.hours and entry.category == course.category.value
    db.session.refresh(course)
    assert course.seats_taken == seats - 1
    with pytest.raises(DomainError):
        services.complete_enrollment(enr, None)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_not_eligible_cannot_complete(course):
    enr = enroll(course)
    services._set_attendance(course.sessions[0], enr, True, "roster", None, now())
    with pytest.raises(DomainError, match="1"):
        services.complete_enrollment(enr, None)
    assert enr.state == EnrollmentState.CONFIRMED
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_batch_completes_eligible_and_explains_the_others(client, login, staff_a, course):
    good1, good2, poor = enroll(course), enroll(course), enroll(course)
    attend_all(course, good1)
    attend_all(course, good2)
    db.session.commit()
    login(staff_a)
    page = client.get(f"/manage/courses/{course.id}/attendance").get_data(as_text=True)
    assert "(2)" in page
    r = client.post(f"/manage/courses/{course.id}/complete-all", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    db.session.expire_all()
    states = {e.id: e.state for e in (good1, good2, poor)}
    assert states == {good1.id: EnrollmentState.COMPLETED, good2.id: EnrollmentState.COMPLETED,
                      poor.id: EnrollmentState.CONFIRMED}
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2
    assert "75%" in html and "2" in html  # the reason names the rule
    # running it again changes nothing
    client.post(f"/manage/courses/{course.id}/complete-all")
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2


def test_complete_one_via_page(client, login, staff_a, course):
    enr = enroll(course)
    attend_all(course, enr)
    db.session.commit()
    login(staff_a)
    r = client.post(f"/manage/courses/{course.id}/enrollments/{enr.id}/complete")
    assert r.status_code == 302
    db.session.expire_all()
    assert enr.state == EnrollmentState.COMPLETED


def test_course_page_statement_count_is_fixed(client, login, staff_a, course, count_queries):
    for _ in range(2):
        attend_all(course, enroll(course))
    db.session.commit()
    login(staff_a)
    url = f"/manage/courses/{course.id}/attendance"
    client.get(url)
    db.session.expire_all()
    with count_queries() as q2:
        assert client.get(url).status_code == 200
    for _ in range(4):
        attend_all(course, enroll(course))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as q6:
        assert client.get(url).status_code == 200
    assert q6.count == q2.count, q6.statements


def test_roster_statement_count_is_fixed(client, login, staff_a, course, count_queries):
    enroll(course)
    db.session.commit()
    login(staff_a)
    url = f"/manage/courses/{course.id}/sessions/{course.sessions[0].id}/roster"
    client.get(url)
    db.session.expire_all()
    with count_queries() as q1:
        client.get(url)
    for _ in range(5):
        enroll(course)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as q6:
        client.get(url)
    assert q6.count == q1.count, q6.statements

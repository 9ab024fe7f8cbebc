"""Findings of the review of attendance (issue #5): each test failed before its fix, or pins
what the review checked (check-in only for one's own course, CSRF, one completion)."""
import pytest
import sqlalchemy as sa

from ntbase.attendance import services
from ntbase.attendance.models import AssessmentResult, Attendance
from ntbase.certificates.models import Certificate
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.attendance.helpers import attend_all, enroll, login_as, past_course


@pytest.fixture()
def course(base_a):
    c = past_course(base_a, sessions=2, has_assessment=True, pass_mark=60)
    db.session.commit()
    return c


def test_anonymous_staff_are_sent_to_log_in(client, course):
    enr = enroll(course)
    db.session.commit()
    s, c, e = course.sessions[0].id, course.id, enr.id
    for method, url in [("get", f"/manage/courses/{c}/attendance"), ("get", f"/manage/courses/{c}/sessions/{s}/roster"),
                        ("get", f"/manage/courses/{c}/sessions/{s}/venue"), ("get", f"/manage/courses/{c}/sessions/{s}/scan"),
                        ("post", f"/manage/courses/{c}/enrollments/{e}/assessment"),
                        ("post", f"/manage/courses/{c}/enrollments/{e}/complete"), ("post", f"/manage/courses/{c}/complete-all")]:
        r = getattr(client, method)(url)
        assert r.status_code == 302 and "/account/login" in r.headers["Location"], url


def test_learner_cannot_check_in_to_a_course_they_are_not_enrolled_in(client, login, course, base_a):
    other_course = past_course(base_a, sessions=1)
    mine = enroll(other_course)
    db.session.commit()
    session = course.sessions[0]
    token = services.venue_token(session)  # a genuine, current venue code of the other course
    db.session.commit()
    login_as(login, mine.learner)
    r = client.post(f"/checkin/s/{session.id}/{token}")
    assert r.status_code == 422 and "没有" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_staff_of_another_base_cannot_touch_by_guessed_ids(client, login, staff_b, course):
    enr = enroll(course)
    token = services.ensure_checkin_token(enr)
    db.session.commit()
    login_as(login, staff_b)
    s = course.sessions[0]
    # the learner's QR scanned on a session of base B's course … is refused too
    assert client.post(f"/checkin/e/{token}?s={s.id}").status_code == 403
    assert client.get(f"/manage/courses/{course.id}/sessions/{s.id}/venue").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_forged_posts_without_csrf_token_change_nothing(make_app, course, staff_a):
    enr = enroll(course)
    attend_all(course, enr)
    token = services.ensure_checkin_token(enr)
    db.session.commit()
    s, c, e = course.sessions[0].id, course.id, enr.id
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(staff_a.id), True
        for url, data in [(f"/manage/courses/{c}/sessions/{s}/roster", {"all": "1"}),
                          (f"/manage/courses/{c}/sessions/{s}/scan", {"token": token}),
                          (f"/manage/courses/{c}/enrollments/{e}/assessment", {"score": "90"}),
                          (f"/manage/courses/{c}/enrollments/{e}/complete", {}),
                          (f"/manage/courses/{c}/complete-all", {}),
                          (f"/checkin/e/{token}?s={s}", {})]:
            assert client.post(url, data=data).status_code == 400, url
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(AssessmentResult.id))) == 0
    assert db.session.get(Enrollment, e).state == EnrollmentState.CONFIRMED
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_completion_raced_by_another_request_issues_nothing_more(course):
    enr = enroll(course)
    attend_all(course, enr)
    services.record_assessment(enr, 80, None)
    db.session.commit()
    progress = services.progress_for(enr)
    # another request completed it after this one read the enrollment as confirmed
    db.session.execute(sa.update(Enrollment).where(Enrollment.id == enr.id)
                       .values(state=EnrollmentState.COMPLETED).execution_options(synchronize_session=False))
    assert enr.state == EnrollmentState.CONFIRMED
    with pytest.raises(DomainError):
        services.complete_enrollment(enr, None, progress=progress)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


def test_my_checkin_codes_cost_a_fixed_number_of_statements(client, login, base_a, count_queries):
    from tests.factories import make_learner

    learner = make_learner()
    enroll(past_course(base_a, sessions=1), learner)
    db.session.commit()
    login_as(login, learner)
    client.get("/me/checkin")  # the first visit creates the tokens

    def count():
        with count_queries() as q:
            assert client.get("/me/checkin").status_code == 200
        return q.count

    small = count()
    for _ in range(4):
        enroll(past_course(base_a, sessions=1), learner)
    db.session.commit()
    client.get("/me/checkin")
    assert count() == small

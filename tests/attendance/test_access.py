"""Only staff of the course's base (or an admin) reach attendance pages: every URL."""
import pytest

from ntbase.attendance import services
from ntbase.kernel.db import db
from tests.attendance.helpers import enroll, past_course


@pytest.fixture()
def setup(base_a):
    course = past_course(base_a, has_assessment=True, pass_mark=60)
    enr = enroll(course)
    token = services.ensure_checkin_token(enr)
    db.session.commit()
    s = course.sessions[0]
    c, e = course.id, enr.id
    return course, enr, [
        ("get", f"/manage/courses/{c}/attendance"),
        ("get", f"/manage/courses/{c}/sessions/{s.id}/roster"),
        ("post", f"/manage/courses/{c}/sessions/{s.id}/roster"),
        ("get", f"/manage/courses/{c}/sessions/{s.id}/venue"),
        ("get", f"/manage/courses/{c}/sessions/{s.id}/scan"),
        ("post", f"/manage/courses/{c}/sessions/{s.id}/scan"),
        ("post", f"/manage/courses/{c}/enrollments/{e}/assessment"),
        ("post", f"/manage/courses/{c}/enrollments/{e}/complete"),
        ("post", f"/manage/courses/{c}/complete-all"),
        ("get", f"/checkin/e/{token}"),
        ("post", f"/checkin/e/{token}"),
    ]


@pytest.mark.parametrize("who", ["staff_b", "office", "learner"])
def test_outsiders_get_403_on_every_url(client, login, setup, who, request):
    login(request.getfixturevalue(who))
    _course, enr, urls = setup
    for method, url in urls:
        r = getattr(client, method)(url, data={"present": [str(enr.id)], "all": "1", "score": "80",
                                               "token": "x"})
        assert r.status_code == 403, (method, url, r.status_code)
    import sqlalchemy as sa

    from ntbase.attendance.models import AssessmentResult, Attendance

    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AssessmentResult.id))) == 0


def test_anonymous_is_sent_to_login(client, setup):
    for method, url in setup[2]:
        r = getattr(client, method)(url)
        assert r.status_code in (302, 403), url
        if r.status_code == 302:
            assert "/account/login" in r.headers["Location"]


@pytest.mark.parametrize("who", ["staff_a", "admin"])
def test_own_staff_and_admin_reach_them(client, login, setup, who, request):
    login(request.getfixturevalue(who))
    for method, url in setup[2]:
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_staff_cannot_use_venue_checkin(client, login, staff_a, setup):
    course = setup[0]
    login(staff_a)
    assert client.get(f"/checkin/s/{course.sessions[0].id}/x").status_code == 403


def test_my_checkin_is_for_learners(client, login, staff_a):
    login(staff_a)
    assert client.get("/me/checkin").status_code == 403

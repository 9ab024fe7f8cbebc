"""My courses, the roster and the figures page run a fixed number of SQL statements whatever
their size: pinned at two sizes, with every kind of row (paid, partly refunded, failed refund,
held, waitlisted, free)."""
import pytest
import sqlalchemy as sa
from flask import g

from ntbase.catalog.models import Course
from ntbase.enrollment import services
from ntbase.kernel.db import db
from ntbase.payments.models import Refund, RefundState
from tests.enrollment.helpers import paid_enrollment, pending_refunds
from tests.factories import make_course, make_learner


def _populate(client, base, staff, monkeypatch, n: int, learner=None):
    """n courses of base; in each: a paid learner partly refunded, a failed refund, a held seat,
    a waitlisted learner; ``learner`` (if given) enrolls in every course in some state."""
    for i in range(n):
        course = make_course(base, title=f"课程{i}", price_fen=10000, capacity=3, sessions=2)
        free = make_course(base, title=f"免费{i}", price_fen=0, capacity=5, sessions=1)
        a = paid_enrollment(client, course, learner if learner is not None and i % 2 == 0 else make_learner())
        services.staff_refund(a, 1000, "部分退款", key=f"{i:032x}", staff=staff)
        b = paid_enrollment(client, course, make_learner())
        with monkeypatch.context() as m:
            pending_refunds(m)
            services.staff_refund(b, 2000, "退款", key=f"{i + 100:032x}", staff=staff)
        refund = db.session.scalars(sa.select(Refund).where(Refund.state == RefundState.PENDING)).one()
        refund.state = RefundState.FAILED
        services.enroll_learner(course, learner if learner is not None and i % 2 == 1 else make_learner())  # held
        services.enroll_learner(course, make_learner())  # waitlisted
        if learner is not None:
            services.enroll_learner(free, learner)
        db.session.commit()
        g.pop("_login_user", None)


def _statements(client, count_queries, url):
    db.session.commit()
    db.session.expire_all()  # requests share the test's session: every object is read afresh
    with count_queries() as q:
        r = client.get(url)
        assert r.status_code == 200
    return q.count


@pytest.mark.parametrize("page", ["roster", "figures"])
def test_base_pages(client, login, base_a, staff_a, count_queries, monkeypatch, page):
    _populate(client, base_a, staff_a, monkeypatch, 1)
    course_id = db.session.execute(sa.text("SELECT min(id) FROM course")).scalar()
    url = f"/manage/courses/{course_id}/roster" if page == "roster" else f"/manage/bases/{base_a.id}/enrollments"
    login(staff_a)
    small = _statements(client, count_queries, url)
    _populate(client, base_a, staff_a, monkeypatch, 3)
    if page == "roster":  # the same course, with more people in every state
        course = db.session.get(Course, course_id)
        course.capacity = 8
        for _ in range(4):
            paid_enrollment(client, course, make_learner())
        services.enroll_learner(course, make_learner())
        db.session.commit()
    login(staff_a)
    assert _statements(client, count_queries, url) == small
    html = client.get(url).get_data(as_text=True)
    assert "退款失败" in html


def test_my_courses(client, login, base_a, staff_a, learner, count_queries, monkeypatch):
    _populate(client, base_a, staff_a, monkeypatch, 1, learner=learner)
    login(learner)
    small = _statements(client, count_queries, "/me/courses")
    _populate(client, base_a, staff_a, monkeypatch, 3, learner=learner)
    login(learner)
    big = _statements(client, count_queries, "/me/courses")
    html = client.get("/me/courses").get_data(as_text=True)
    assert big == small and html.count('class="card enrollment"') == 8

"""The enrollment page is shared by every learner and cached with the catalog, as the course
page is; each learner's part (their enrollment, why the course takes none, the form with
their CSRF token) is filled on every request."""
import re
from datetime import timedelta

import pytest
from flask import g

from ntbase.kernel.cache import page_cache
from ntbase.kernel.db import db
from tests.factories import make_course, make_learner


@pytest.fixture()
def cached(make_app, app_ctx):
    app = make_app(CACHE_ENABLED=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        page_cache().backend.clear()
        yield app


def _as(app, user):
    c = app.test_client()
    with c.session_transaction() as s:
        s["_user_id"] = str(user.id)
    return c


def _page(c, course_id):
    # as a server's request ends (the test holds one app context): its session, its CSRF token
    db.session.remove()
    g.pop("csrf_token", None)
    r = c.get(f"/courses/{course_id}/enroll")
    assert r.status_code == 200
    return r.headers["X-Cache"], r.get_data(as_text=True)


def _token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_learners_share_the_page_each_with_their_own_part(cached, base_a, count_queries, count_begins):
    course = make_course(base_a, title="安全生产法规", price_fen=9900, capacity=5)
    a, b = make_learner(), make_learner()
    db.session.commit()
    ca, cb = _as(cached, a), _as(cached, b)
    state, html_a = _page(ca, course.id)
    assert state == "miss-personal" and "安全生产法规" in html_a and "报名并支付 ¥99.00" in html_a
    with count_queries() as q, count_begins() as began:
        state, html_b = _page(cb, course.id)
    assert state == "hit-personal" and "安全生产法规" in html_b
    assert q.count == 2, q.statements  # the session user, the enroll box (course, base, their enrollment)
    assert began == []
    assert _token(html_a) != _token(html_b)
    assert f'action="/courses/{course.id}/enroll"' in html_b


def test_after_enrolling_the_learner_sees_their_enrollment_and_the_seats_move(cached, base_a):
    course = make_course(base_a, price_fen=0, capacity=5)
    a, b = make_learner(), make_learner()
    db.session.commit()
    ca, cb = _as(cached, a), _as(cached, b)
    html = _page(ca, course.id)[1]
    assert "剩余 5 个名额" in html
    r = ca.post(f"/courses/{course.id}/enroll", data={"csrf_token": _token(html)})
    assert r.status_code == 302
    ca.get(r.headers["Location"])  # where the learner goes next, reading the flashed message
    state, mine = _page(ca, course.id)
    assert state == "miss-personal"  # the seat changed the catalog: rendered again
    assert "您已报名该课程" in mine and 'action="/courses/' not in mine
    assert "剩余 4 个名额" in mine
    state, theirs = _page(cb, course.id)
    assert state == "hit-personal" and "您已报名该课程" not in theirs and "剩余 4 个名额" in theirs


def test_why_a_course_takes_no_enrollment_is_worked_out_on_each_request(cached, base_a, monkeypatch):
    """The reason (the window, the status) is the learner's part, not the cached body: a
    window that closes between two views shows at once, with nothing written."""
    import ntbase.enrollment.views as views

    course = make_course(base_a)
    learner = make_learner()
    db.session.commit()
    closes = course.enroll_closes_at
    c = _as(cached, learner)
    assert 'action="/courses/' in _page(c, course.id)[1]
    monkeypatch.setattr(views, "now", lambda: closes + timedelta(minutes=1))
    state, html = _page(c, course.id)
    assert state == "hit-personal" and "报名已于" in html and "截止" in html and 'action="/courses/' not in html


def test_an_unknown_course_is_not_found_and_not_cached(cached, base_a):
    learner = make_learner()
    db.session.commit()
    c = _as(cached, learner)
    assert c.get("/courses/999999/enroll").status_code == 404
    assert c.get("/courses/999999/enroll").status_code == 404


def test_a_draft_is_not_found_by_learners(cached, base_a):
    """A draft course is its base's own: its enrollment page and a forged POST are a 404,
    as its course page is, and nothing is enrolled."""
    from ntbase.enrollment.models import Enrollment

    course = make_course(base_a, status="draft", title="未发布的课程")
    open_course = make_course(base_a)
    learner = make_learner()
    db.session.commit()
    draft_id, open_id = course.id, open_course.id
    c = _as(cached, learner)
    r = c.get(f"/courses/{draft_id}/enroll")
    assert r.status_code == 404 and "未发布的课程" not in r.get_data(as_text=True)
    token = _token(_page(c, open_id)[1])
    assert c.post(f"/courses/{draft_id}/enroll", data={"csrf_token": token}).status_code == 404
    assert db.session.query(Enrollment).filter_by(course_id=draft_id).count() == 0

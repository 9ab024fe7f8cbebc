import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from ntbase.enrollment import ics, services
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db, now
from tests.enrollment.helpers import intent_of, post_webhook, signed_event
from tests.factories import make_course, make_learner

S = EnrollmentState


def test_my_courses_shows_each_state(client, login, base_a, learner):
    free = make_course(base_a, title="公需科目：法治讲座", price_fen=0)
    paid = make_course(base_a, title="专业科目：BIM 应用", price_fen=45000)
    full = make_course(base_a, title="热门课程", capacity=1)
    services.enroll_learner(free, learner)
    services.enroll_learner(paid, learner)
    services.enroll_learner(full, make_learner())
    services.enroll_learner(full, learner)
    db.session.commit()
    login(learner)
    html = client.get("/me/courses").get_data(as_text=True)
    for text in ("公需科目：法治讲座", "专业科目：BIM 应用", "热门课程", "¥450.00", "立即支付", "候补名单第 1 位",
                 'data-state="confirmed"', 'data-state="held"', 'data-state="waitlisted"', "/calendar/"):
        assert text in html, text
    # the schedule of a confirmed course is listed
    assert free.sessions[0].starts_at.strftime("%Y-%m-%d") in html


def test_my_courses_statement_count_is_fixed(client, login, base_a, learner, count_queries):
    def page_statements():
        with count_queries() as q:
            assert client.get("/me/courses").status_code == 200
        return q.count

    login(learner)
    services.enroll_learner(make_course(base_a, price_fen=100), learner)
    db.session.commit()
    one = page_statements()
    for i in range(4):
        services.enroll_learner(make_course(base_a, price_fen=100 * i, sessions=3), learner)
    db.session.commit()
    assert page_statements() == one


def test_checkout_validates_invoice_next_to_field(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner)
    db.session.commit()
    login(learner)
    r = client.post(f"/me/enrollments/{e.id}/pay", data={"invoice_title": "南通某公司",
                                                          "invoice_taxpayer_no": "12AB"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="invoice_taxpayer_no-err"[^>]*>[^<]*15 至 20 位', html)
    r = client.post(f"/me/enrollments/{e.id}/pay", data={"invoice_title": "南通某公司",
                                                          "invoice_taxpayer_no": "91320600MA1234567X"})
    intent = intent_of(e)
    assert r.status_code == 302 and r.headers["Location"] == f"/pay/sandbox/{intent.provider_ref}"
    assert (intent.invoice_title, intent.invoice_taxpayer_no) == ("南通某公司", "91320600MA1234567X")


def test_checkout_after_expiry_redirects(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner, now=now() - timedelta(hours=1))
    db.session.commit()
    login(learner)
    r = client.get(f"/me/enrollments/{e.id}/pay", follow_redirects=True)
    assert "该名额已不再为您保留" in r.get_data(as_text=True)


def test_receipt_shows_payment_and_history(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=12300), learner)
    db.session.commit()
    post_webhook(client, *signed_event(intent_of(e).provider_ref, 12300, method="wechat"))
    from flask import g

    g.pop("_login_user", None)
    login(learner)
    html = client.get(f"/me/enrollments/{e.id}/receipt").get_data(as_text=True)
    for text in ("¥123.00", "微信支付", intent_of(e).provider_ref, "已确认"):
        assert text in html, text


def test_accept_offer_page(client, login, base_a, learner):
    course = make_course(base_a, price_fen=500, capacity=1)
    first = make_learner()
    e1 = services.enroll_learner(course, first)
    e2 = services.enroll_learner(course, learner)
    services.cancel_enrollment(e1, first.id)
    db.session.commit()
    assert e2.state == S.OFFERED
    login(learner)
    html = client.get("/me/courses").get_data(as_text=True)
    assert "确认并支付" in html
    r = client.post(f"/me/enrollments/{e2.id}/accept")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/me/enrollments/{e2.id}/pay")
    db.session.expire_all()
    assert e2.state == S.HELD


# --- the calendar feed -----------------------------------------------------------------------

def test_ics_feed_lists_sessions_of_confirmed_courses(client, base_a, learner):
    mine = make_course(base_a, title="日历课程", sessions=2)
    gone = make_course(base_a, title="已取消的报名")
    services.enroll_learner(mine, learner)
    e = services.enroll_learner(gone, learner)
    services.cancel_enrollment(e, learner.id)
    db.session.commit()
    token = ics.calendar_token(learner)
    assert str(learner.id) != token and len(token) > 20
    r = client.get(f"/calendar/{token}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == 2
    assert all("日历课程" in str(ev["summary"]) for ev in events)
    start = events[0].decoded("dtstart")
    assert start.utcoffset() == timedelta(hours=8)
    assert start.replace(tzinfo=None) == mine.sessions[0].starts_at


@pytest.mark.parametrize("token", ["1", "garbage.token", "eyJ1IjoxfQ.forged"])
def test_ics_feed_refuses_bad_tokens(client, learner, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_ics_token_dies_with_password_change(client, learner):
    token = ics.calendar_token(learner)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    from ntbase.kernel.security import hash_password

    learner.password_hash = hash_password("Another-pass-2026")
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{ics.calendar_token(learner)}.ics").status_code == 200

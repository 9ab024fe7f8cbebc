"""Attendance is recorded only from shortly before a session starts (#15.8): the roster, a
learner's QR scanned by staff and the venue QR all refuse a session still to come, with a
message saying from when; ATTENDANCE_OPENS_MINUTES_BEFORE (default 30) sets the window."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.attendance import services
from ntbase.attendance.models import Attendance
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests.attendance.helpers import enroll, login_as
from tests.factories import make_course


@pytest.fixture()
def upcoming(base_a):
    """A confirmed learner in a course whose first session starts in three days."""
    start = (now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    course = make_course(base_a, start=start, sessions=2, status="published")
    enrollment = enroll(course)
    db.session.commit()
    return course, enrollment


def _rows() -> int:
    return db.session.scalar(sa.select(sa.func.count(Attendance.id)))


def test_every_way_of_recording_refuses_a_session_still_to_come(upcoming):
    course, enrollment = upcoming
    s = course.sessions[0]
    early = s.starts_at - timedelta(minutes=31)
    for record in (lambda: services.save_roster(s, {enrollment.id}, None, now=early),
                   lambda: services.mark_all_present(s, None, now=early),
                   lambda: services.checkin_learner_qr(s, services.ensure_checkin_token(enrollment), None,
                                                       now=early),
                   lambda: services.checkin_venue_qr(s, services.venue_token(s, early), enrollment.learner_id,
                                                     now=early)):
        with pytest.raises(DomainError, match="09:00") as err:
            record()
        assert (s.starts_at - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M") in err.value.message
    assert _rows() == 0


def test_recording_opens_thirty_minutes_before_the_start(upcoming):
    course, enrollment = upcoming
    s = course.sessions[0]
    opens = s.starts_at - timedelta(minutes=30)
    assert services.attendance_opens_at(s) == opens
    assert services.save_roster(s, {enrollment.id}, None, now=opens) == (1, 0)
    services.checkin_venue_qr(s, services.venue_token(s, opens), enrollment.learner_id, now=opens)
    assert _rows() == 1


def test_the_window_is_configurable(make_app, upcoming):
    course, enrollment = upcoming
    s = course.sessions[0]
    app = make_app(ATTENDANCE_OPENS_MINUTES_BEFORE=120)
    with app.app_context():
        assert services.attendance_opens_at(s) == s.starts_at - timedelta(minutes=120)


def test_the_roster_page_says_when_it_opens_and_refuses_a_forced_save(client, login, staff_a, upcoming):
    course, enrollment = upcoming
    s = course.sessions[0]
    login_as(login, staff_a)
    url = f"/manage/courses/{course.id}/sessions/{s.id}/roster"
    html = client.get(url).get_data(as_text=True)
    assert 'id="attendance-not-open"' in html and "考勤" in html
    assert 'id="save-roster" disabled' in html
    r = client.post(url, data={"present": str(enrollment.id)}, headers={"Referer": url})
    assert r.status_code == 302
    flashed = client.get(url).get_data(as_text=True)
    assert "起可以记录" in flashed  # the refusal, flashed after the redirect
    assert _rows() == 0


def test_the_venue_page_shows_no_code_before_the_window(client, login, staff_a, upcoming):
    course, _enrollment = upcoming
    s = course.sessions[0]
    login_as(login, staff_a)
    html = client.get(f"/manage/courses/{course.id}/sessions/{s.id}/venue").get_data(as_text=True)
    assert 'id="attendance-not-open"' in html and 'id="venue-qr"' not in html


def test_scanning_a_learner_qr_early_is_refused_next_to_the_field(client, login, staff_a, upcoming):
    course, enrollment = upcoming
    s = course.sessions[0]
    login_as(login, staff_a)
    r = client.post(f"/manage/courses/{course.id}/sessions/{s.id}/scan",
                    data={"token": services.ensure_checkin_token(enrollment)})
    assert r.status_code == 422 and 'id="token-err"' in r.get_data(as_text=True)
    assert _rows() == 0

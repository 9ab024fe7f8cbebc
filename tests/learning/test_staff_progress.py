"""The base staff's progress page of an online course (learner × lesson, exam attempts) and
its CSV / XLSX export: what it shows, to whom, in how many statements."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from ntbase.enrollment import services as enrollments
from ntbase.kernel.db import db, now
from ntbase.learning import exams, services, staff
from ntbase.learning.models import LessonKind
from ntbase.learning.progress import course_progress
from tests.factories import make_course, make_learner
from tests.learning.exam_helpers import add_bank, right_answers
from tests.learning.helpers import beat, online_course, read_document, sample, upload, watch_video

EXPECTED_HEADER = ["姓名", "身份证号（已脱敏）", "状态", "视频1（%）", "文档1（%）", "已完成课时",
                   "首次考试：成绩", "首次考试：交卷时间", "首次考试：超时评分",
                   "补考：成绩", "补考：交卷时间", "补考：超时评分",
                   "考试合格", "最近学习时间", "已结业", "结业时间"]


def _exam_course(base, **kw):
    course, lessons = online_course(base, **kw)
    add_bank(course, 6)
    exams.save_exam_settings(course, question_count=4, time_limit_minutes=30, pass_mark=60)
    db.session.flush()
    return course, lessons


def _enroll(course, name=None, user=None):
    user = user or make_learner(real_name=name)
    return enrollments.enroll_learner(course, user)


def _watch_part(enrollment, lesson, seconds: int, t0=None):
    """Watch the first ``seconds`` of a video at real time (2 s heartbeats), in a player of
    its own (``watch_video`` later is another tab, whose heartbeats count from 0 again)."""
    t = t0 or now() - timedelta(hours=2)
    out = services.heartbeat(enrollment, lesson, beat("start", "tab-0", 0, 0), now=t)
    for seq in range(1, seconds // 2 + 1):
        t += timedelta(seconds=2)
        services.heartbeat(enrollment, lesson, beat("beat", "tab-0", seq, seq * 2.0, out.epoch), now=t)


def _study_all(enrollment, lessons):
    t = now() - timedelta(hours=1)
    for lesson in lessons:
        if lesson.kind == LessonKind.VIDEO:
            _out, t = watch_video(enrollment, lesson, t)
        elif lesson.kind == LessonKind.DOCUMENT:
            _out, t = read_document(enrollment, lesson, t)
        else:
            services.join_live(enrollment, lesson)
        t += timedelta(seconds=5)


def _pass_exam(enrollment):
    attempt = exams.start_attempt(enrollment)
    return exams.submit(attempt, right_answers(attempt))


def _row(page: str, enrollment_id: int) -> str:
    m = re.search(rf'<tr id="enrollment-{enrollment_id}">(.*?)</tr>', page, re.S)
    assert m, f"no row for enrollment {enrollment_id}"
    return m.group(1)


def _cell(row: str, lesson_id: int) -> str:
    m = re.search(rf'<td class="num" data-lesson="{lesson_id}">(.*?)</td>', row, re.S)
    assert m, f"no cell for lesson {lesson_id}"
    return re.sub(r"\s+", " ", m.group(1))


def _summary(page: str, key: str) -> int:
    m = re.search(rf'id="sum-{key}">(\d+)<', page)
    assert m, key
    return int(m.group(1))


@pytest.fixture()
def classroom(app_ctx, base_a, learner):
    """A course with a video, a document, a live session (open now) and an exam; three
    learners who count and one who cancelled."""
    t = now()
    course, lessons = _exam_course(base_a, live=(t - timedelta(minutes=10), t + timedelta(minutes=50)))
    video, document, live = lessons
    done = _enroll(course, user=learner)                      # 张晓明: everything, exam passed: completed
    _study_all(done, lessons)
    assert _pass_exam(done).completed
    partial = _enroll(course, "李四")                          # a third of the video, nothing else
    _watch_part(partial, video, 2)
    late = _enroll(course, "王五")                             # every lesson; the first attempt graded late
    _study_all(late, lessons)
    attempt = exams.start_attempt(late, now=t - timedelta(hours=1))
    grade = exams.submit(attempt, right_answers(attempt), now=t)
    assert grade.late and not grade.attempt.passed
    gone = _enroll(course, "赵六")
    enrollments.cancel_enrollment(gone, gone.learner_id)
    db.session.commit()
    return course, lessons, {"done": done, "partial": partial, "late": late, "gone": gone}


# ---------------------------------------------------------------- the page

def test_the_page_shows_each_learners_share_per_lesson_and_the_attempts_in_chinese(client, login, classroom,
                                                                                    staff_a, learner):
    course, (video, document, live), e = classroom
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/progress")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    assert "学习进度" in page and "学员" in page
    assert (_summary(page, "enrolled"), _summary(page, "lessons-done"), _summary(page, "exam-passed"),
            _summary(page, "completed")) == (3, 2, 1, 1)

    done = _row(page, e["done"].id)
    assert "张晓明" in done and "已结业" in done
    assert "100%" in _cell(done, video.id) and "已完成" in _cell(done, video.id)
    assert "100%" in _cell(done, document.id)
    assert "已参加" in _cell(done, live.id)
    assert "首次考试" in done and "<strong>100</strong>" in done and "合格" in done and "不合格" not in done
    assert "3 / 3" in done

    partial = _row(page, e["partial"].id)
    assert "李四" in partial and "已确认" in partial
    assert "33%" in _cell(partial, video.id) and "已完成" not in _cell(partial, video.id)
    assert "0%" in _cell(partial, document.id)
    assert "未参加" in _cell(partial, live.id)
    assert "未参加考试" in partial and "0 / 3" in partial

    late = _row(page, e["late"].id)
    assert "<strong>0</strong>" in late and "不合格" in late and "到时自动评分" in late and "补考" not in late

    # the cancelled learner is not listed; ID numbers only masked
    assert "赵六" not in page and f"enrollment-{e['gone'].id}" not in page
    profile = learner.profile
    assert profile.id_number_masked in done and profile.id_number not in page
    # export links, the way back to the course and to the question bank
    for href in (f"/manage/courses/{course.id}/progress.csv", f"/manage/courses/{course.id}/progress.xlsx",
                 f"/manage/courses/{course.id}/questions", f'href="/manage/courses/{course.id}"'):
        assert href in page, href
    assert 'class="table-wrap progress-wrap"' in page


def test_the_page_without_enrollments_says_so(client, login, app_ctx, base_a, staff_a):
    course, _lessons = online_course(base_a)
    gone = _enroll(course, "赵六")
    enrollments.cancel_enrollment(gone, gone.learner_id)
    db.session.commit()
    login(staff_a)
    page = client.get(f"/manage/courses/{course.id}/progress").get_data(as_text=True)
    assert 'id="progress-empty"' in page and "还没有学员" in page
    assert 'id="progress-table"' not in page and _summary(page, "enrolled") == 0
    assert "赵六" not in page


def test_only_the_courses_own_base_sees_it(client, login, classroom, staff_a, staff_b, learner):
    course, _lessons, _e = classroom
    urls = [f"/manage/courses/{course.id}/progress", f"/manage/courses/{course.id}/progress.csv",
            f"/manage/courses/{course.id}/progress.xlsx"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    login(staff_b)
    for url in urls:
        assert client.get(url).status_code == 403, url
    login(learner)
    for url in urls:
        assert client.get(url).status_code == 403, url
    login(staff_a)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/manage/courses/{course.id}/progress.pdf").status_code == 404
    assert client.get("/manage/courses/999999/progress").status_code == 404


def test_an_in_person_course_has_no_progress_page(client, login, app_ctx, base_a, staff_a):
    course = make_course(base_a)
    db.session.commit()
    login(staff_a)
    assert client.get(f"/manage/courses/{course.id}/progress").status_code == 404
    assert client.get(f"/manage/courses/{course.id}/progress.csv").status_code == 404


# ---------------------------------------------------------------- the export

@pytest.fixture()
def exported(app_ctx, base_a, learner):
    """A finished learner and one whose name would be a formula, a third of the video in."""
    course, lessons = _exam_course(base_a)
    done = _enroll(course, user=learner)
    _study_all(done, lessons)
    _pass_exam(done)
    formula = _enroll(course, '=HYPERLINK("https://evil.example","点我")')
    _watch_part(formula, lessons[0], 2)
    db.session.commit()
    return course, done, formula


def test_the_csv_export_has_the_header_and_values_and_escapes_formulas(client, login, exported, staff_a, learner):
    course, done, _formula = exported
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/progress.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == EXPECTED_HEADER
    by_name = {row[0]: row for row in rows[1:]}
    assert len(rows) == 3
    a = by_name["张晓明"]
    assert a[1] == learner.profile.id_number_masked and a[1] != learner.profile.id_number
    assert a[2:6] == ["已结业", "100", "100", "2"]
    assert a[6] == "100" and a[8] == "否" and a[9:12] == ["", "", ""] and a[12] == "是"
    assert a[14] == "是" and a[15] == done.completed_at.strftime("%Y-%m-%d %H:%M")
    b = by_name['\'=HYPERLINK("https://evil.example","点我")']   # an apostrophe: shown, never run
    assert b[2:6] == ["已确认", "33", "0", "0"] and b[6] == "" and b[12] == "否" and b[14] == "否"


def test_the_xlsx_export_has_the_header_and_values_and_escapes_formulas(client, login, exported, staff_a):
    course, _done, _formula = exported
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/progress.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == EXPECTED_HEADER
    by_name = {row[0]: row for row in rows[1:]}
    a = by_name["张晓明"]
    assert a[2:7] == ["已结业", 100, 100, 2, 100] and a[12] == "是"
    b = by_name['\'=HYPERLINK("https://evil.example","点我")']
    assert b[3:6] == [33, 0, 0]
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in rows for v in row)


# ---------------------------------------------------------------- statements

def test_the_page_costs_the_same_statements_for_2_and_6_learners(client, login, count_queries, app_ctx, base_a,
                                                                 staff_a):
    course, lessons = _exam_course(base_a, video_seconds=(4, 6), document_minutes=(1,))
    t = now()

    def add_learners(n: int):
        for i in range(n):
            e = _enroll(course, f"学员{i}")
            _watch_part(e, lessons[0], 2)
            if i % 2 == 0:
                _study_all(e, lessons)
                exams.submit(exams.start_attempt(e, now=t - timedelta(hours=1)), {}, now=t)  # late, failed
        db.session.commit()

    login(staff_a)
    url = f"/manage/courses/{course.id}/progress"
    add_learners(2)
    assert client.get(url).status_code == 200   # warm-up: the first request of an app loads more
    with count_queries() as two:
        page = client.get(url).get_data(as_text=True)
    assert page.count('<tr id="enrollment-') == 2
    add_learners(4)
    with count_queries() as six:
        page = client.get(url).get_data(as_text=True)
    assert page.count('<tr id="enrollment-') == 6 and page.count("不合格") == 3
    assert two.count == six.count, six.statements
    assert six.count <= 12, six.statements


def test_lessons_come_in_syllabus_order(app_ctx, base_a):
    course, lessons = online_course(base_a, video_seconds=(6,), document_minutes=(1,))
    first = lessons[0].chapter
    intro = staff.add_chapter(course, "导论")
    staff.add_lesson(course, intro, title="导论视频", kind=LessonKind.VIDEO, upload=upload(sample("video", 6)))
    first.position = intro.position + 1  # the new chapter (added last) now comes first
    db.session.flush()
    view = course_progress(course)
    assert [c.title for c in view.lessons] == ["导论视频", "视频1", "文档1"]
    assert [c.chapter_title for c in view.lessons] == ["导论", "第一章", "第一章"]
    assert view.rows == [] and view.exam is None

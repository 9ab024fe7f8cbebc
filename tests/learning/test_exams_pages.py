"""Exam pages: the learner's overview, attempt, submit and result; the base's question bank,
settings and import. Ownership: another learner's attempt is a 404, another base's staff a 403."""
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.learning import exams
from ntbase.learning.models import Exam, ExamAttempt, Question
from tests.factories import make_learner
from tests.learning.exam_helpers import exam_course, finish_lessons, right_answers, wrong_answers


@pytest.fixture()
def ready(app_ctx, base_a, learner):
    course, lessons, enrollment, bank = exam_course(base_a, learner)
    finish_lessons(enrollment, lessons)
    return course, enrollment, bank


def _form(answers: dict) -> dict:
    return {f"q{qid}": values for qid, values in answers.items()}


def _attempt(enrollment_id) -> ExamAttempt:
    db.session.expire_all()
    return db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.enrollment_id == enrollment_id)
                             .order_by(ExamAttempt.attempt.desc()))


def _start(client, enrollment) -> ExamAttempt:
    r = client.post(f"/learn/{enrollment.id}/exam/start")
    assert r.status_code == 302 and "/exam/attempts/" in r.headers["Location"]
    return _attempt(enrollment.id)


def test_a_learner_takes_the_exam_and_sees_the_wrong_questions(client, login, ready):
    _course, enrollment, _bank = ready
    login(enrollment.learner)
    page = client.get(f"/learn/{enrollment.id}/exam").get_data(as_text=True)
    assert 'id="start-exam"' in page and "data-confirm" in page
    attempt = _start(client, enrollment)
    body = client.get(f"/learn/{enrollment.id}/exam/attempts/{attempt.id}").get_data(as_text=True)
    assert "data-exam-clock" in body and 'data-seconds-left="' in body and "js/exam.js" in body
    assert re.search(r'id="submit-exam" data-confirm="[^"]+"', body)
    for qid in attempt.question_ids:
        assert f'name="q{qid}"' in body
    answers = right_answers(attempt)
    first = str(attempt.question_ids[0])
    answers[first] = ["1"]
    r = client.post(f"/learn/{enrollment.id}/exam/attempts/{attempt.id}", data=_form(answers))
    assert r.status_code == 302
    result = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="result-passed"' in result and "75" in result
    assert f'id="wrong-{first}"' in result
    assert sum(f'id="wrong-{q}"' in result for q in attempt.question_ids) == 1
    db.session.refresh(enrollment)
    assert enrollment.state == EnrollmentState.COMPLETED


def test_the_exam_cannot_start_before_every_lesson_is_done(client, login, app_ctx, base_a, learner):
    _course, lessons, enrollment, _bank = exam_course(base_a, learner)
    finish_lessons(enrollment, lessons[:1])
    login(learner)
    page = client.get(f"/learn/{enrollment.id}/exam").get_data(as_text=True)
    assert 'id="exam-refused"' in page and 'id="start-exam"' not in page
    r = client.post(f"/learn/{enrollment.id}/exam/start", follow_redirects=True)
    assert "lesson" in r.get_data(as_text=True) or "课" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 0


def test_another_learners_attempt_is_a_404(client, login, ready):
    _course, enrollment, _bank = ready
    login(enrollment.learner)
    attempt = _start(client, enrollment)
    other = make_learner(real_name="李四")
    db.session.commit()
    login(other)
    base = f"/learn/{enrollment.id}/exam"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/start").status_code == 404
    assert client.get(f"{base}/attempts/{attempt.id}").status_code == 404
    assert client.post(f"{base}/attempts/{attempt.id}", data=_form(right_answers(attempt))).status_code == 404
    assert client.post(f"{base}/attempts/{attempt.id}/save", data={}).status_code == 404
    assert _attempt(enrollment.id).submitted_at is None


def test_an_attempt_id_of_another_enrollment_is_a_404(client, login, app_ctx, base_a, learner):
    _c1, lessons1, first, _b1 = exam_course(base_a, learner)
    _c2, _lessons2, second, _b2 = exam_course(base_a, learner)
    finish_lessons(first, lessons1)
    login(learner)
    attempt = _start(client, first)
    assert client.get(f"/learn/{second.id}/exam/attempts/{attempt.id}").status_code == 404
    assert client.post(f"/learn/{second.id}/exam/attempts/{attempt.id}", data={}).status_code == 404


def test_a_second_submit_is_refused_and_changes_nothing(client, login, ready):
    _course, enrollment, _bank = ready
    login(enrollment.learner)
    attempt = _start(client, enrollment)
    url = f"/learn/{enrollment.id}/exam/attempts/{attempt.id}"
    client.post(url, data=_form(wrong_answers(attempt)))
    before = _attempt(enrollment.id)
    score, graded_at = before.score, before.submitted_at
    r = client.post(url, data=_form(right_answers(attempt)), follow_redirects=True)
    assert "already submitted" in r.get_data(as_text=True) or "已提交" in r.get_data(as_text=True)
    after = _attempt(enrollment.id)
    assert (after.score, after.submitted_at, after.passed) == (score, graded_at, False)


def test_a_late_submit_counts_only_the_answers_saved_in_time(client, login, ready):
    _course, enrollment, _bank = ready
    login(enrollment.learner)
    attempt = _start(client, enrollment)
    url = f"/learn/{enrollment.id}/exam/attempts/{attempt.id}"
    saved = client.post(f"{url}/save", data=_form(wrong_answers(attempt)))
    assert saved.status_code == 200 and saved.get_json()["saved"] == 4
    row = _attempt(enrollment.id)
    row.started_at -= timedelta(minutes=40)
    row.deadline_at = now() - timedelta(minutes=10)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'id="time-up"' in page and "data-exam-form" not in page
    late_save = client.post(f"{url}/save", data=_form(right_answers(attempt)))
    assert late_save.status_code == 409 and late_save.get_json()["error"] == "time_up"
    r = client.post(url, data=_form(right_answers(attempt)), follow_redirects=True)
    assert 'id="result-failed"' in r.get_data(as_text=True)
    row = _attempt(enrollment.id)
    assert row.late and row.score == 0


def test_a_third_attempt_is_refused_on_the_page(client, login, ready):
    _course, enrollment, _bank = ready
    login(enrollment.learner)
    for _ in range(2):
        attempt = _start(client, enrollment)
        client.post(f"/learn/{enrollment.id}/exam/attempts/{attempt.id}", data=_form(wrong_answers(attempt)))
    page = client.get(f"/learn/{enrollment.id}/exam").get_data(as_text=True)
    assert 'id="exam-refused"' in page and 'id="start-exam"' not in page
    r = client.post(f"/learn/{enrollment.id}/exam/start", follow_redirects=True)
    assert "resit" in r.get_data(as_text=True) or "补考" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 2


def test_undrawn_answers_sent_by_a_forged_form_do_not_score(client, login, ready):
    _course, enrollment, bank = ready
    login(enrollment.learner)
    attempt = _start(client, enrollment)
    data = _form(wrong_answers(attempt))
    for q in bank:
        if q.id not in attempt.question_ids:
            data[f"q{q.id}"] = [str(i) for i in q.answer]
    data["q" + "9" * 30] = ["0"]
    client.post(f"/learn/{enrollment.id}/exam/attempts/{attempt.id}", data=data)
    row = _attempt(enrollment.id)
    assert row.score == 0 and set(row.answers) <= {str(i) for i in row.question_ids}


# ---------------------------------------------------------------- the base's side

def test_the_bank_is_for_the_courses_own_base_staff_only(client, login, app_ctx, base_a, learner, staff_a, staff_b):
    course, _lessons, _enrollment, _bank = exam_course(base_a, learner)
    login(staff_b)
    assert client.get(f"/manage/courses/{course.id}/questions").status_code == 403
    assert client.post(f"/manage/courses/{course.id}/questions/exam",
                       data={"question_count": 1, "time_limit_minutes": 5, "pass_mark": 1}).status_code == 403
    login(learner)
    assert client.get(f"/manage/courses/{course.id}/questions").status_code == 403
    login(staff_a)
    page = client.get(f"/manage/courses/{course.id}/questions")
    assert page.status_code == 200 and "单选题1" in page.get_data(as_text=True)


def test_staff_add_a_question_and_see_errors_next_to_the_field(client, login, app_ctx, base_a, learner, staff_a):
    course, _lessons, _enrollment, bank = exam_course(base_a, learner)
    login(staff_a)
    url = f"/manage/courses/{course.id}/questions"
    bad = client.post(url, data={"kind": "single", "text": "新题", "choices": "甲\n乙", "answer": "C"})
    assert bad.status_code == 422
    assert re.search(r'id="answer-err"', bad.get_data(as_text=True))
    ok = client.post(url, data={"kind": "multiple", "text": "新题", "choices": "甲\n乙\n丙", "answer": "AB"})
    assert ok.status_code == 302
    added = db.session.scalar(sa.select(Question).where(Question.text == "新题"))
    assert added.answer == [0, 1] and added.number == len(bank) + 1
    edit = client.post(f"{url}/{added.id}", data={"kind": "true_false", "text": "新题改", "choices": "", "answer": "错"})
    assert edit.status_code == 302
    db.session.refresh(added)
    assert added.text == "新题改" and added.answer == [1]
    assert client.post(f"{url}/{added.id}/active").status_code == 302
    db.session.refresh(added)
    assert added.active is False


def test_staff_save_the_exam_settings(client, login, app_ctx, base_a, learner, staff_a):
    course, _lessons, _enrollment, _bank = exam_course(base_a, learner)
    login(staff_a)
    url = f"/manage/courses/{course.id}/questions/exam"
    too_many = client.post(url, data={"question_count": 7, "time_limit_minutes": 20, "pass_mark": 80})
    assert too_many.status_code == 422 and 'id="question_count-err"' in too_many.get_data(as_text=True)
    out_of_range = client.post(url, data={"question_count": 3, "time_limit_minutes": 20, "pass_mark": 101})
    assert out_of_range.status_code == 422 and 'id="pass_mark-err"' in out_of_range.get_data(as_text=True)
    assert client.post(url, data={"question_count": 5, "time_limit_minutes": 20, "pass_mark": 80}).status_code == 302
    exam = db.session.scalar(sa.select(Exam).where(Exam.course_id == course.id))
    db.session.refresh(exam)
    assert (exam.question_count, exam.time_limit_minutes, exam.pass_mark) == (5, 20, 80)


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["题型", "题目", "选项A", "选项B", "选项C", "答案", "解析"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_failed_import_shows_each_row_and_imports_nothing(client, login, app_ctx, base_a, learner, staff_a):
    course, _lessons, _enrollment, bank = exam_course(base_a, learner)
    login(staff_a)
    data = _xlsx([["单选", "导入一", "甲", "乙", "", "A", ""], ["单选", "导入二", "甲", "乙", "", "Z", ""]])
    r = client.post(f"/manage/courses/{course.id}/questions/import",
                    data={"file": (io.BytesIO(data), "bank.xlsx")}, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="import-errors"' in body and re.search(r"(Row|第) ?3", body)
    assert len(exams.questions_of(course.id)) == len(bank)
    good = _xlsx([["单选", "导入一", "甲", "乙", "", "A", ""], ["判断", "导入二", "", "", "", "对", ""]])
    r = client.post(f"/manage/courses/{course.id}/questions/import",
                    data={"file": (io.BytesIO(good), "bank.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 302
    assert len(exams.questions_of(course.id)) == len(bank) + 2


def test_the_template_downloads(client, login, app_ctx, base_a, learner, staff_a):
    course, _lessons, _enrollment, _bank = exam_course(base_a, learner)
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/questions/template.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in ws[1]][:2] == ["题型", "题目"]
    assert client.get(f"/manage/courses/{course.id}/questions/template.csv").status_code == 200
    assert client.get(f"/manage/courses/{course.id}/questions/template.pdf").status_code == 404


def test_no_unbounded_int_parsing_in_the_exam_modules():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "ntbase" / "learning"
    for name in ("exams.py", "exam_views.py", "exam_forms.py", "jobs.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert not re.search(r"int\(request\.|\.isdigit\(\)|type=int", text), name

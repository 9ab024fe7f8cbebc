"""Exams of online courses, on the services: who may start, the random draw, grading on
the server, the one resit, and the attacks (late, twice, questions not drawn)."""
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.certificates.models import Certificate
from ntbase.enrollment.models import EnrollmentState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.learning import exams, jobs
from ntbase.learning.models import ExamAttempt, QuestionKind
from tests.learning.exam_helpers import (
    exam_course,
    finish_lessons,
    right_answers,
    with_some_wrong,
    wrong_answers,
)


@pytest.fixture()
def ready(app_ctx, base_a, learner):
    """Every lesson done; the exam (4 of 6 questions, 30 minutes, pass mark 60) not taken."""
    course, lessons, enrollment, bank = exam_course(base_a, learner)
    finish_lessons(enrollment, lessons)
    assert enrollment.state == EnrollmentState.CONFIRMED  # the exam is still to pass
    return course, enrollment, bank


def _refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    return err.value


# ---------------------------------------------------------------- starting

def test_starting_before_all_lessons_are_done_is_refused(app_ctx, base_a, learner):
    _course, lessons, enrollment, _bank = exam_course(base_a, learner)
    finish_lessons(enrollment, lessons[:1])
    err = _refused(exams.start_attempt, enrollment)
    assert err.code == "lessons_left" and "1" in err.message
    assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 0


def test_an_unconfirmed_seat_cannot_start(app_ctx, base_a, learner):
    _course, _lessons, enrollment, _bank = exam_course(base_a, learner, price_fen=5000)
    assert enrollment.state == EnrollmentState.HELD
    assert _refused(exams.start_attempt, enrollment).code == "not_confirmed"


def test_questions_are_drawn_at_random_from_the_active_questions(ready):
    course, enrollment, bank = ready
    exams.set_active(bank[0], False)
    exams.set_active(bank[1], False)
    attempt = exams.start_attempt(enrollment, rng=random.Random(7))
    assert len(attempt.question_ids) == 4 and len(set(attempt.question_ids)) == 4
    assert set(attempt.question_ids) == {q.id for q in bank[2:]}
    assert attempt.attempt == 1 and attempt.pass_mark == 60
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=30)


def test_the_draw_uses_the_rng_it_is_given(app_ctx, base_a, learner):
    _c, lessons, enrollment, bank = exam_course(base_a, learner, questions=9, question_count=3)
    finish_lessons(enrollment, lessons)
    attempt = exams.start_attempt(enrollment, rng=random.Random(3))
    assert attempt.question_ids == random.Random(3).sample(sorted(q.id for q in bank), 3)


def test_starting_again_returns_the_running_attempt(ready):
    _course, enrollment, _bank = ready
    first = exams.start_attempt(enrollment)
    assert exams.start_attempt(enrollment).id == first.id
    assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 1


def test_the_bank_must_hold_enough_questions(ready):
    course, _enrollment, bank = ready
    err = _refused(exams.save_exam_settings, course, question_count=7, time_limit_minutes=30, pass_mark=60)
    assert err.field == "question_count" and err.code == "bank_too_small"
    exams.set_active(bank[0], False)
    exams.set_active(bank[1], False)
    assert _refused(exams.set_active, bank[2], False).code == "bank_too_small"


# ---------------------------------------------------------------- grading

def test_right_answers_pass_and_complete_the_course_once(ready):
    _course, enrollment, _bank = ready
    attempt = exams.start_attempt(enrollment)
    grade = exams.submit(attempt, right_answers(attempt))
    db.session.commit()
    assert attempt.score == 100 and attempt.passed and not grade.late and grade.completed
    assert enrollment.state == EnrollmentState.COMPLETED
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
        Certificate.enrollment_id == enrollment.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.learner_id == enrollment.learner_id)) == 1
    assert _refused(exams.start_attempt, enrollment).code == "completed"


class _MultipleFirst(random.Random):
    """A draw that always includes the bank's multiple-choice questions (a random draw of 4
    of 6 leaves both out about once in 15 runs)."""

    def __init__(self, multiple_ids):
        super().__init__(0)
        self.multiple_ids = set(multiple_ids)

    def sample(self, population, k, **_kw):
        return sorted(population, key=lambda qid: qid not in self.multiple_ids)[:k]


def test_a_multiple_choice_question_counts_only_when_exactly_right(ready):
    _course, enrollment, bank = ready
    attempt = exams.start_attempt(enrollment, rng=_MultipleFirst(q.id for q in bank
                                                                  if q.kind == QuestionKind.MULTIPLE))
    multiple = next(q for q in exams.attempt_questions(attempt) if q.kind == QuestionKind.MULTIPLE)
    answers = right_answers(attempt)
    answers[str(multiple.id)] = ["0"]  # one of the two right choices only
    exams.submit(attempt, answers)
    assert attempt.score == 75 and attempt.passed  # 3 of 4
    wrong = [item for item in exams.review(attempt) if not item.correct]
    assert [item.question.id for item in wrong] == [multiple.id]
    assert wrong[0].given == [0] and wrong[0].right == [0, 2]


def test_a_failed_attempt_allows_one_resit_and_a_third_is_refused(ready):
    _course, enrollment, _bank = ready
    first = exams.start_attempt(enrollment)
    exams.submit(first, wrong_answers(first))
    assert first.score == 0 and first.passed is False
    second = exams.start_attempt(enrollment)
    assert second.attempt == 2
    exams.submit(second, with_some_wrong(second, 2))
    assert second.score == 50 and second.passed is False
    db.session.commit()
    err = _refused(exams.start_attempt, enrollment)
    assert err.code == "no_attempts_left" and ("resit" in err.message or "补考" in err.message)
    assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 2
    assert enrollment.state == EnrollmentState.CONFIRMED


def test_no_resit_after_a_pass(ready, app):
    course, enrollment, _bank = ready
    # a blended course is completed by its base, so a pass leaves the enrollment confirmed
    course.mode = "blended"
    db.session.flush()
    attempt = exams.start_attempt(enrollment)
    exams.submit(attempt, right_answers(attempt))
    assert enrollment.state == EnrollmentState.CONFIRMED
    assert _refused(exams.start_attempt, enrollment).code == "already_passed"


# ---------------------------------------------------------------- the attacks

def test_submitting_twice_is_refused_and_changes_nothing(ready):
    _course, enrollment, _bank = ready
    attempt = exams.start_attempt(enrollment)
    exams.submit(attempt, wrong_answers(attempt))
    db.session.commit()
    graded_at, answers = attempt.submitted_at, dict(attempt.answers)
    err = _refused(exams.submit, attempt, right_answers(attempt))
    assert err.code == "already_submitted"
    db.session.rollback()
    db.session.refresh(attempt)
    assert attempt.score == 0 and attempt.passed is False and attempt.submitted_at == graded_at
    assert attempt.answers == answers
    assert _refused(exams.save_answers, attempt, right_answers(attempt)).code == "already_submitted"


def test_a_submit_after_the_time_limit_grades_only_what_was_saved_before(ready):
    _course, enrollment, _bank = ready
    t0 = now()
    attempt = exams.start_attempt(enrollment, now=t0)
    saved = with_some_wrong(attempt, 3)  # one right answer saved in time
    exams.save_answers(attempt, saved, now=t0 + timedelta(minutes=10))
    grade = exams.submit(attempt, right_answers(attempt), now=t0 + timedelta(minutes=31))
    assert grade.late and attempt.late
    assert attempt.score == 25 and attempt.passed is False
    assert attempt.answers == {k: [int(i) for i in v] for k, v in saved.items()}


def test_saving_after_the_deadline_is_refused(ready):
    _course, enrollment, _bank = ready
    t0 = now()
    attempt = exams.start_attempt(enrollment, now=t0)
    exams.save_answers(attempt, wrong_answers(attempt), now=t0 + timedelta(minutes=1))
    db.session.commit()
    err = _refused(exams.save_answers, attempt, right_answers(attempt), now=t0 + timedelta(minutes=30, seconds=30))
    assert err.code == "time_up"
    db.session.rollback()
    db.session.refresh(attempt)
    assert all(v == [1] for v in attempt.answers.values())


def test_a_submit_just_at_the_deadline_counts(ready):
    _course, enrollment, _bank = ready
    t0 = now()
    attempt = exams.start_attempt(enrollment, now=t0)
    grade = exams.submit(attempt, right_answers(attempt), now=t0 + timedelta(minutes=30, seconds=2))
    assert not grade.late and attempt.score == 100


def test_answers_for_questions_not_drawn_are_never_kept_or_scored(ready):
    _course, enrollment, bank = ready
    attempt = exams.start_attempt(enrollment, rng=random.Random(1))
    not_drawn = [q for q in bank if q.id not in attempt.question_ids]
    assert not_drawn
    answers = wrong_answers(attempt)
    for q in not_drawn:
        answers[str(q.id)] = [str(i) for i in q.answer]   # right, but not drawn
    answers["999999"] = ["0"]
    answers["abc"] = ["0"]
    answers[str(attempt.question_ids[0])] = ["0", "1", "7"]  # two choices on one question, one that does not exist
    exams.save_answers(attempt, answers)
    assert set(attempt.answers) <= {str(i) for i in attempt.question_ids}
    exams.submit(attempt, answers)
    assert attempt.score == 0 and set(attempt.answers) <= {str(i) for i in attempt.question_ids}


def test_expired_attempts_are_closed_by_the_job_with_what_was_saved(ready):
    _course, enrollment, _bank = ready
    t0 = now() - timedelta(minutes=45)
    attempt = exams.start_attempt(enrollment, now=t0)
    exams.save_answers(attempt, right_answers(attempt), now=t0 + timedelta(minutes=5))
    db.session.commit()
    assert exams.close_expired(now=t0 + timedelta(minutes=20)) == 0  # still running
    jobs.close_exams_every_minute()
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and attempt.late and attempt.score == 100
    db.session.refresh(enrollment)
    assert enrollment.state == EnrollmentState.COMPLETED
    assert exams.close_expired() == 0
    assert _refused(exams.submit, attempt, {}).code == "already_submitted"


def test_an_expired_attempt_is_graded_before_the_resit_starts(ready):
    _course, enrollment, _bank = ready
    t0 = now() - timedelta(hours=2)
    first = exams.start_attempt(enrollment, now=t0)  # left without an answer
    second = exams.start_attempt(enrollment)
    assert first.submitted_at is not None and first.score == 0 and first.late
    assert second.attempt == 2


def test_the_review_is_only_for_a_graded_attempt(ready):
    _course, enrollment, _bank = ready
    attempt = exams.start_attempt(enrollment)
    assert _refused(exams.review, attempt).code == "not_closed"


def test_the_job_is_registered():
    from ntbase.kernel.jobs import specs

    assert specs()["learning.close-exams"].periodic is not None


# ---------------------------------------------------------------- questions and import

def test_question_input_is_checked_field_by_field(app_ctx):
    assert _refused(exams.question_input, "单选", "题", ["甲"], "A").field == "choices"
    assert _refused(exams.question_input, "单选", "题", ["甲", "乙"], "AB").field == "answer"
    assert _refused(exams.question_input, "多选", "题", ["甲", "乙"], "A").field == "answer"
    assert _refused(exams.question_input, "单选", "题", ["甲", "乙"], "C").field == "answer"
    assert _refused(exams.question_input, "问答", "题", [], "A").field == "kind"
    assert _refused(exams.question_input, "判断", "", [], "对").field == "text"
    assert exams.question_input("判断", "题", [], "错").answer == [1]
    assert exams.question_input("多选", "题", ["甲", "乙", "丙"], "c，a").answer == [0, 2]


def _csv(rows) -> bytes:
    header = "题型,题目,选项A,选项B,选项C,选项D,答案,解析\n"
    return (header + "\n".join(rows) + "\n").encode("utf-8")


def test_an_import_with_a_bad_row_imports_nothing_and_names_each_row(ready):
    course, _enrollment, bank = ready
    data = _csv(["单选,新题一,甲,乙,,,A,",
                 "多选,新题二,甲,乙,丙,,A,",          # one right choice for a multiple-choice question
                 "问答,新题三,,,,,对,",               # an unknown kind
                 "单选,新题四,甲,,丙,,A,",             # a gap in the choices
                 f"判断,{bank[2].text},,,,,对,"])      # already in the bank
    result = exams.import_questions(course, "q.csv", data)
    assert not result.ok and not result.imported
    errors = {r.row: [c for c, _m in r.errors] for r in result.rows}
    assert errors[2] == [] and errors[3] == ["answer"] and errors[4] == ["kind"] and errors[5] == ["choice_a"]
    assert len(exams.questions_of(course.id)) == len(bank)


def test_an_import_names_questions_already_in_the_bank(ready):
    course, _enrollment, bank = ready
    result = exams.import_questions(course, "q.csv", _csv(["单选,新题,甲,乙,,,A,", f"判断,{bank[2].text},,,,,对,"]))
    assert not result.ok and [c for c, _m in result.rows[1].errors] == ["text"]
    assert len(exams.questions_of(course.id)) == len(bank)


def test_a_good_file_imports_every_row(ready):
    course, _enrollment, bank = ready
    result = exams.import_questions(course, "q.csv", _csv(["单选,新题一,甲,乙,丙,丁,B,解析一",
                                                           "多选,新题二,甲,乙,丙,,A、C,",
                                                           "判断,新题三,,,,,错,"]))
    assert result.ok and len(result.imported) == 3
    added = exams.questions_of(course.id)[len(bank):]
    assert [(q.kind, q.answer, q.number) for q in added] == [
        (QuestionKind.SINGLE, [1], 7), (QuestionKind.MULTIPLE, [0, 2], 8), (QuestionKind.TRUE_FALSE, [1], 9)]
    assert added[0].choices == ["甲", "乙", "丙", "丁"] and added[0].explanation == "解析一"


def test_the_excel_template_imports_as_it_is(ready):
    course, _enrollment, bank = ready
    result = exams.import_questions(course, "template.xlsx", exams.template_xlsx())
    assert result.ok and len(result.imported) == len(exams.EXAMPLES)
    assert exams.import_questions(course, "t.csv", exams.template_csv()).ok is False  # now duplicates


def test_an_unreadable_file_is_refused_as_a_whole(ready):
    course, _enrollment, _bank = ready
    with pytest.raises(exams.ImportFileError):
        exams.import_questions(course, "q.csv", "题目,答案\n甲,A\n".encode())
    with pytest.raises(exams.ImportFileError):
        exams.import_questions(course, "q.pdf", b"%PDF-1.4")

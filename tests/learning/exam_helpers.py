"""Online courses with a question bank and an exam, for the exam tests."""
from __future__ import annotations

from datetime import datetime, timedelta

from ntbase.enrollment import services as enrollments
from ntbase.kernel.db import db, now
from ntbase.learning import exams
from ntbase.learning.models import LessonKind, Question, QuestionKind
from tests.learning.helpers import online_course, read_document, watch_video


def add_bank(course, n: int = 6) -> list[Question]:
    """``n`` questions cycling single choice (answer A), multiple choice (A and C) and true or
    false (true)."""
    out = []
    for i in range(n):
        kind = [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE][i % 3]
        if kind == QuestionKind.SINGLE:
            data = exams.question_input(kind, f"单选题{i + 1}：安全生产方针？", ["安全第一", "效益优先", "先发展"], "A")
        elif kind == QuestionKind.MULTIPLE:
            data = exams.question_input(kind, f"多选题{i + 1}：属于个人信息的有？", ["身份证号", "天气", "手机号"], "AC",
                                        "身份证号和手机号都是个人信息。")
        else:
            data = exams.question_input(kind, f"判断题{i + 1}：学时按年度计算。", [], "对")
        out.append(exams.add_question(course, data))
    return out


def exam_course(base, learner, *, questions: int = 6, question_count: int = 4, minutes: int = 30,
                pass_mark: int = 60, price_fen: int = 0):
    """A published online course with a bank and an exam, and the learner's enrollment."""
    course, lessons = online_course(base, price_fen=price_fen)
    bank = add_bank(course, questions)
    exams.save_exam_settings(course, question_count=question_count, time_limit_minutes=minutes,
                             pass_mark=pass_mark)
    enrollment = enrollments.enroll_learner(course, learner)
    db.session.commit()
    return course, lessons, enrollment, bank


def finish_lessons(enrollment, lessons, t0: datetime | None = None) -> datetime:
    """Study every lesson under the server's rules; the time after the last heartbeat."""
    t = t0 or now() - timedelta(hours=1)
    for lesson in lessons:
        if lesson.kind == LessonKind.VIDEO:
            _out, t = watch_video(enrollment, lesson, t)
        else:
            _out, t = read_document(enrollment, lesson, t)
        t += timedelta(seconds=5)
    db.session.commit()
    return t


def right_answers(attempt) -> dict[str, list[str]]:
    """As the page sends them: {question id: [choice index as text]}."""
    questions = {q.id: q for q in exams.attempt_questions(attempt)}
    return {str(qid): [str(i) for i in questions[qid].answer] for qid in attempt.question_ids}


def wrong_answers(attempt) -> dict[str, list[str]]:
    questions = {q.id: q for q in exams.attempt_questions(attempt)}
    return {str(qid): ["1"] for qid in attempt.question_ids if questions[qid].answer != [1]}


def with_some_wrong(attempt, wrong: int) -> dict[str, list[str]]:
    """Right answers except for the first ``wrong`` questions drawn (answered "1", never right
    in ``add_bank``'s questions except a false true-or-false, which it has none of)."""
    answers = right_answers(attempt)
    for qid in attempt.question_ids[:wrong]:
        answers[str(qid)] = ["1"]
    return answers

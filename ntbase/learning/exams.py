"""Exams of online courses (issue #12 item 4): a question bank per course, an exam drawn
at random from its active questions, attempts graded on the server.

Rules:

- An attempt starts only for a confirmed enrollment whose lessons are all done
  (``services.all_lessons_done``). Attempt 1, and attempt 2 (the one resit) only after a
  failed attempt 1, as for in-person assessments.
- Starting draws ``question_count`` active questions at random (``random.SystemRandom``;
  tests pass their own ``rng``) and fixes the deadline: ``started_at + time limit``.
- Answers are kept on the attempt as ``{question id: [choice indexes]}``; only questions
  drawn for the attempt are kept, anything else is dropped and never scored.
- ``submit`` grades on the server. At or before the deadline (plus a few seconds for the
  network, ``SUBMIT_GRACE``) the answers sent count; later, only what was saved before
  the deadline counts (``late``). A graded attempt never changes again.
- ``close_expired`` (the ``learning.close-exams`` job, every minute) grades attempts whose
  deadline passed with what was saved.
- A pass completes the course when everything else is done (``services.maybe_complete``:
  certificate and hours through the enrollment domain's event).

Services flush and raise ``DomainError``; the request's (or the job's) unit of work commits.
"""
from __future__ import annotations

import io
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.exc import IntegrityError

from ntbase.catalog.models import Course
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel import tabular
from ntbase.kernel.db import db
from ntbase.kernel.db import now as db_now
from ntbase.kernel.errors import DomainError
from ntbase.learning import services
from ntbase.learning.models import Exam, ExamAttempt, Question, QuestionKind

MAX_ATTEMPTS = 2
MAX_CHOICES = 8
MIN_CHOICES = 2
MAX_TEXT = 2000
MAX_CHOICE_TEXT = 500
SUBMIT_GRACE = timedelta(seconds=5)  # a submit sent at 0:00 on the countdown still arrives in time
LETTERS = "ABCDEFGH"
TRUE_FALSE_CHOICES = ["True", "False"]  # shown translated; index 0 is "true"

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_XLSX_EXPANDED_BYTES = 20 * 1024 * 1024

# (key, header in the template, required)
COLUMNS = [("kind", "题型", True), ("text", "题目", True)] + [
    (f"choice_{letter.lower()}", f"选项{letter}", False) for letter in LETTERS[:6]
] + [("answer", "答案", True), ("explanation", "解析", False)]
COLUMN_TITLES = {"kind": _l("Kind"), "text": _l("Question"), "answer": _l("Answer"),
                 "explanation": _l("Explanation")}
EXAMPLES = [
    {"kind": "单选", "text": "《中华人民共和国安全生产法》规定的安全生产工作方针是？",
     "choice_a": "安全第一、预防为主、综合治理", "choice_b": "效益优先", "choice_c": "先发展后治理",
     "answer": "A", "explanation": "见《安全生产法》第三条。"},
    {"kind": "多选", "text": "以下属于个人信息的有？", "choice_a": "身份证号", "choice_b": "手机号",
     "choice_c": "公开的法律条文", "answer": "AB", "explanation": ""},
    {"kind": "判断", "text": "继续教育学时可以跨年度累计。", "answer": "错", "explanation": ""},
]
KIND_WORDS = {
    "单选": QuestionKind.SINGLE, "单选题": QuestionKind.SINGLE, "单项选择": QuestionKind.SINGLE,
    "单项选择题": QuestionKind.SINGLE, "single": QuestionKind.SINGLE,
    "多选": QuestionKind.MULTIPLE, "多选题": QuestionKind.MULTIPLE, "多项选择": QuestionKind.MULTIPLE,
    "多项选择题": QuestionKind.MULTIPLE, "multiple": QuestionKind.MULTIPLE,
    "判断": QuestionKind.TRUE_FALSE, "判断题": QuestionKind.TRUE_FALSE, "true_false": QuestionKind.TRUE_FALSE,
    "true/false": QuestionKind.TRUE_FALSE,
}
TRUE_WORDS = {"对", "正确", "是", "√", "t", "true", "y", "yes", "a"}
FALSE_WORDS = {"错", "错误", "否", "×", "x", "f", "false", "n", "no", "b"}
FILE_MESSAGES = {
    "too_large": _l("The file is larger than 2 MB. Split it into smaller files."),
    "too_many_rows": _l("At most %(n)s questions per file: split the file."),
    "no_rows": _l("The file has no question rows under the column titles."),
}


def column_title(key: str) -> str:
    if key.startswith("choice_"):
        return _("Choice %(letter)s", letter=key[-1].upper())
    return str(COLUMN_TITLES.get(key, key))


# ---------------------------------------------------------------- the question bank

def _course_for_exams(course: Course) -> None:
    if course.mode not in services.ONLINE_MODES:
        raise DomainError(_("Exams are for online and blended courses."), code="not_online")


def parse_kind(raw) -> QuestionKind:
    if isinstance(raw, QuestionKind):
        return raw
    text = str(raw or "").strip()
    kind = KIND_WORDS.get(text) or KIND_WORDS.get(text.lower())
    if kind is None:
        raise DomainError(_("Write 单选, 多选 or 判断."), field="kind")
    return kind


def parse_answer(kind: QuestionKind, raw, choice_count: int) -> list[int]:
    """'A', 'AC', 'A,C', 'a；c' -> sorted indexes; true/false: 对/错 (or A/B)."""
    text = str(raw or "").strip()
    if kind == QuestionKind.TRUE_FALSE:
        word = text.lower()
        if word in TRUE_WORDS:
            return [0]
        if word in FALSE_WORDS:
            return [1]
        raise DomainError(_("Write 对 or 错 for a true-or-false question."), field="answer")
    letters = re.sub(r"[\s,，、;；]+", "", text).upper()
    if not letters or any(ch not in LETTERS[:choice_count] for ch in letters):
        raise DomainError(_("Write the letters of the right choices (A to %(last)s), e.g. A or AC.",
                            last=LETTERS[max(choice_count, 1) - 1]), field="answer")
    picked = sorted({LETTERS.index(ch) for ch in letters})
    if kind == QuestionKind.SINGLE and len(picked) != 1:
        raise DomainError(_("A single-choice question has exactly one right choice."), field="answer")
    if kind == QuestionKind.MULTIPLE and len(picked) < 2:
        raise DomainError(_("A multiple-choice question has at least two right choices; "
                            "with one, make it a single-choice question."), field="answer")
    return picked


@dataclass(frozen=True)
class QuestionInput:
    kind: QuestionKind
    text: str
    choices: list[str]
    answer: list[int]
    explanation: str = ""


def question_input(kind, text, choices: Iterable[str], answer, explanation: str = "") -> QuestionInput:
    """Check one question; the first problem is raised on its field."""
    kind = parse_kind(kind)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the question."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("A question has at most %(n)s characters.", n=MAX_TEXT), field="text")
    if kind == QuestionKind.TRUE_FALSE:
        texts = list(TRUE_FALSE_CHOICES)
    else:
        texts = [c.strip() for c in choices if c and c.strip()]
        if len(texts) < MIN_CHOICES or len(texts) > MAX_CHOICES:
            raise DomainError(_("Give from %(a)s to %(b)s choices.", a=MIN_CHOICES, b=MAX_CHOICES), field="choices")
        if any(len(c) > MAX_CHOICE_TEXT for c in texts):
            raise DomainError(_("A choice has at most %(n)s characters.", n=MAX_CHOICE_TEXT), field="choices")
        if len(set(texts)) != len(texts):
            raise DomainError(_("Two choices are the same."), field="choices")
    picked = parse_answer(kind, answer, len(texts)) if not isinstance(answer, list) else sorted(set(answer))
    if not picked or any(not 0 <= i < len(texts) for i in picked):
        raise DomainError(_("The answer must name one of the choices."), field="answer")
    explanation = (explanation or "").strip()
    if len(explanation) > MAX_TEXT:
        raise DomainError(_("An explanation has at most %(n)s characters.", n=MAX_TEXT), field="explanation")
    return QuestionInput(kind, text, texts, picked, explanation)


def questions_of(course_id: int, *, active_only: bool = False) -> list[Question]:
    q = sa.select(Question).where(Question.course_id == course_id)
    if active_only:
        q = q.where(Question.active.is_(True))
    return list(db.session.scalars(q.order_by(Question.number)))


def question_of(course_id: int, question_id: int) -> Question | None:
    question = db.session.get(Question, question_id)
    return question if question is not None and question.course_id == course_id else None


def active_count(course_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Question.id)).where(
        Question.course_id == course_id, Question.active.is_(True))) or 0)


def _next_number(course_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Question.number), 0))
                                 .where(Question.course_id == course_id)) or 0) + 1


def add_question(course: Course, data: QuestionInput) -> Question:
    _course_for_exams(course)
    question = Question(course_id=course.id, number=_next_number(course.id), kind=data.kind, text=data.text,
                        choices=list(data.choices), answer=list(data.answer), explanation=data.explanation,
                        active=True)
    db.session.add(question)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # another editor numbered a question at the same moment
        raise DomainError(_("Someone else added a question at the same moment. Try again."),
                          field="text", code="conflict") from exc
    return question


def edit_question(question: Question, data: QuestionInput) -> Question:
    """Change a question. Attempts already graded keep their score; an open attempt that drew
    it is graded against the question as it is when graded."""
    question.kind, question.text, question.explanation = data.kind, data.text, data.explanation
    question.choices, question.answer = list(data.choices), list(data.answer)
    db.session.flush()
    return question


def set_active(question: Question, active: bool) -> Question:
    """Take a question out of the draw (or back in). Attempts that drew it keep it."""
    if not active and question.active:
        exam = services.exam_of(question.course_id)
        left = active_count(question.course_id) - 1
        if exam is not None and left < exam.question_count:
            raise DomainError(_("The exam draws %(n)s questions; without this one the bank would have only "
                                "%(left)s. Lower the number of questions first, or add questions.",
                                n=exam.question_count, left=left), code="bank_too_small")
    question.active = active
    db.session.flush()
    return question


# ---------------------------------------------------------------- exam settings

def save_exam_settings(course: Course, *, question_count: int, time_limit_minutes: int, pass_mark: int) -> Exam:
    """Create or change the course's exam. The bank must hold enough active questions."""
    _course_for_exams(course)
    if not 1 <= question_count <= 200:
        raise DomainError(_("Enter a whole number from %(a)s to %(b)s.", a=1, b=200), field="question_count")
    if not 1 <= time_limit_minutes <= 600:
        raise DomainError(_("Enter a whole number from %(a)s to %(b)s.", a=1, b=600), field="time_limit_minutes")
    if not 0 <= pass_mark <= 100:
        raise DomainError(_("Enter a whole number from %(a)s to %(b)s.", a=0, b=100), field="pass_mark")
    have = active_count(course.id)
    if question_count > have:
        raise DomainError(_("The bank has %(have)s active questions: an exam cannot draw %(n)s. Add questions "
                            "or draw fewer.", have=have, n=question_count), field="question_count",
                          code="bank_too_small")
    exam = services.exam_of(course.id)
    if exam is None:
        exam = Exam(course_id=course.id)
        db.session.add(exam)
    exam.question_count, exam.time_limit_minutes, exam.pass_mark = question_count, time_limit_minutes, pass_mark
    db.session.flush()
    return exam


# ---------------------------------------------------------------- import

class ImportFileError(Exception):
    """The file as a whole cannot be read; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowResult:
    row: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)


@dataclass
class ImportResult:
    rows: list[RowResult]
    imported: list[Question] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and self.error_count == 0


def _header_key(text: str) -> str | None:
    t = (text or "").strip().lower()
    for key, zh, _req in COLUMNS:
        if t in (key, zh.lower()):
            return key
    return None


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        return tabular.read_template(filename, data, columns=COLUMNS, header_key=_header_key,
                                     max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS,
                                     max_unpacked=MAX_XLSX_EXPANDED_BYTES, join="、".join, messages=FILE_MESSAGES)
    except tabular.TableError as err:
        raise ImportFileError(err.message) from err


def _row_input(values: dict[str, str]) -> tuple[QuestionInput | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    try:
        kind = parse_kind(values.get("kind", ""))
    except DomainError as err:
        return None, [("kind", err.message)]
    choices = [values.get(f"choice_{letter.lower()}", "") for letter in LETTERS[:6]]
    if kind != QuestionKind.TRUE_FALSE:
        # a gap (A, B, _, D) would shift the letters of the answer: refuse it
        filled = [bool(c.strip()) for c in choices]
        last = max((i for i, f in enumerate(filled) if f), default=-1)
        if not all(filled[: last + 1]):
            errors.append(("choice_a", _("Fill the choices from A on, without gaps.")))
            return None, errors
    try:
        return question_input(kind, values.get("text", ""), choices, values.get("answer", ""),
                              values.get("explanation", "")), []
    except DomainError as err:
        column = {"choices": "choice_a"}.get(err.field or "", err.field or "text")
        return None, [(column, err.message)]


def import_questions(course: Course, filename: str, data: bytes) -> ImportResult:
    """Add every row of the file to the bank, or none: the result lists each row's errors
    (nothing is written when any row has one). An unreadable file raises ImportFileError."""
    _course_for_exams(course)
    rows = read_rows(filename, data)
    results = []
    inputs = []
    seen: dict[str, int] = {}
    for number, values in rows:
        result = RowResult(number, values)
        data_, errors = _row_input(values)
        result.errors.extend(errors)
        if data_ is not None:
            key = data_.text
            if key in seen:
                result.errors.append(("text", _("The same question is in row %(row)s.", row=seen[key])))
            else:
                seen[key] = number
                inputs.append(data_)
        results.append(result)
    outcome = ImportResult(results)
    if not outcome.ok:
        return outcome
    existing = {q.text for q in questions_of(course.id)}
    for result, data_ in zip(results, inputs, strict=True):
        if data_.text in existing:
            result.errors.append(("text", _("This question is already in the bank.")))
    if not outcome.ok:
        return outcome
    outcome.imported = [add_question(course, data_) for data_ in inputs]
    return outcome


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append([zh for _k, zh, _r in COLUMNS])
    for example in EXAMPLES:
        ws.append([example.get(k, "") for k, _zh, _r in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["B"].width = 50
    notes = wb.create_sheet("说明")
    notes.append(["列", "必填", "写法"])
    help_text = {"kind": "单选 / 多选 / 判断", "text": "题目文字，最多2000字",
                 "choice_a": "单选、多选：从选项A起依次填写，至少两项，最多六项；判断题不填选项",
                 "answer": "单选：一个字母，如 A；多选：两个或以上字母，如 AC；判断：对 / 错",
                 "explanation": "可选：考试结束后向学员显示"}
    for key, zh, req in COLUMNS:
        if key in help_text:
            notes.append([zh, "是" if req else "", help_text[key]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv() -> bytes:
    return tabular.to_csv([zh for _k, zh, _r in COLUMNS], [[e.get(k, "") for k, _zh, _r in COLUMNS]
                                                            for e in EXAMPLES])


# ---------------------------------------------------------------- attempts

def attempts_of(enrollment_id: int) -> list[ExamAttempt]:
    return list(db.session.scalars(sa.select(ExamAttempt).where(ExamAttempt.enrollment_id == enrollment_id)
                                   .order_by(ExamAttempt.attempt)))


def attempt_of(enrollment: Enrollment, attempt_id: int) -> ExamAttempt | None:
    """The enrollment's own attempt, or None (another learner's id is a 404 to the caller)."""
    attempt = db.session.get(ExamAttempt, attempt_id)
    return attempt if attempt is not None and attempt.enrollment_id == enrollment.id else None


def is_closed(attempt: ExamAttempt, now: datetime | None = None) -> bool:
    """Graded, or its time is up (grading follows at the next submit or job run)."""
    return attempt.submitted_at is not None or (now or db_now()) > attempt.deadline_at + SUBMIT_GRACE


def seconds_left(attempt: ExamAttempt, now: datetime | None = None) -> int:
    return max(0, int((attempt.deadline_at - (now or db_now())).total_seconds()))


@dataclass(frozen=True)
class Overview:
    exam: Exam | None
    attempts: list[ExamAttempt]
    lessons_left: int
    passed: bool
    open_attempt: ExamAttempt | None   # running now (before its deadline)
    can_start: bool
    reason: str                        # why not, when not

    @property
    def next_attempt(self) -> int:
        return len(self.attempts) + 1


def overview(enrollment: Enrollment, now: datetime | None = None) -> Overview:
    """What the exam page shows; read-only (GET)."""
    at = now or db_now()
    exam = services.exam_of(enrollment.course_id)
    attempts = attempts_of(enrollment.id)
    left = services.lessons_left(enrollment)
    passed = any(a.passed for a in attempts)
    open_attempt = next((a for a in attempts if a.submitted_at is None and not is_closed(a, at)), None)
    reason = ""
    try:
        _refuse_start(enrollment, exam, attempts, at)
    except DomainError as err:
        reason = err.message
    return Overview(exam, attempts, left, passed, open_attempt, not reason and open_attempt is None, reason)


def _refuse_start(enrollment: Enrollment, exam: Exam | None, attempts: list[ExamAttempt], now: datetime) -> None:
    if exam is None:
        raise DomainError(_("This course has no exam."), code="no_exam")
    if enrollment.state == EnrollmentState.COMPLETED:
        raise DomainError(_("You have completed this course; there is no exam left to take."), code="completed")
    if enrollment.state != EnrollmentState.CONFIRMED:
        raise DomainError(_("Your seat in this course is not confirmed. Pay for it on My courses first."),
                          code="not_confirmed")
    if not services.all_lessons_done(enrollment):
        raise DomainError(_("The exam opens when every lesson is done: %(n)s lessons are still to study.",
                            n=max(services.lessons_left(enrollment), 0)), code="lessons_left")
    closed = [a for a in attempts if a.submitted_at is not None or is_closed(a, now)]
    if any(a.passed for a in closed):
        raise DomainError(_("You have passed this exam."), code="already_passed")
    if len(closed) >= MAX_ATTEMPTS:
        raise DomainError(_("You have taken the exam and its one resit; no attempt is left. Ask the base "
                            "if you need help."), code="no_attempts_left")
    if active_count(enrollment.course_id) < exam.question_count:
        raise DomainError(_("The exam is not ready yet (its question bank is too small). The base has been "
                            "asked to add questions; try again later."), code="bank_too_small")


def start_attempt(enrollment: Enrollment, now: datetime | None = None,
                  rng: random.Random | None = None) -> ExamAttempt:
    """The running attempt, or a new one with questions drawn at random. An attempt whose
    time ran out is graded first. Refused (DomainError with a code) before all lessons are
    done, for an unconfirmed seat, after a pass, and after the resit."""
    at = now or db_now()
    exam = services.exam_of(enrollment.course_id)
    attempts = attempts_of(enrollment.id)
    for a in attempts:
        if a.submitted_at is None:
            if not is_closed(a, at):
                _refuse_start_basic(enrollment)
                return a  # carry on with the running attempt
            _grade(a, a.answers or {}, at, late=True)
    _refuse_start(enrollment, exam, attempts, at)
    pool = sorted(db.session.scalars(sa.select(Question.id).where(
        Question.course_id == enrollment.course_id, Question.active.is_(True))))
    drawn = (rng or random.SystemRandom()).sample(pool, exam.question_count)
    attempt = ExamAttempt(enrollment_id=enrollment.id, exam_id=exam.id, attempt=len(attempts) + 1,
                          question_ids=drawn, answers={}, started_at=at,
                          deadline_at=at + timedelta(minutes=exam.time_limit_minutes), pass_mark=exam.pass_mark,
                          late=False)
    db.session.add(attempt)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a second tab started the same attempt at the same moment
        raise DomainError(_("The exam was just started in another window. Reload the page."),
                          code="conflict") from exc
    return attempt


def _refuse_start_basic(enrollment: Enrollment) -> None:
    if enrollment.state != EnrollmentState.CONFIRMED:
        raise DomainError(_("Your seat in this course is not confirmed. Pay for it on My courses first."),
                          code="not_confirmed")


def _index(raw, count: int) -> int | None:
    text = str(raw).strip()
    return int(text) if re.fullmatch(r"[0-9]", text) and int(text) < count else None


def clean_answers(attempt: ExamAttempt, answers: Mapping) -> dict[str, list[int]]:
    """``{question id: [choice indexes]}`` for the questions drawn for this attempt only;
    other questions, choices that do not exist and a second choice on a single-choice
    question are dropped (a forged form cannot score)."""
    drawn = {int(qid) for qid in attempt.question_ids}
    questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(drawn or {0})))}
    out: dict[str, list[int]] = {}
    for raw_key, raw_values in (answers or {}).items():
        key = str(raw_key).strip()
        qid = int(key) if re.fullmatch(r"[0-9]{1,10}", key) else None
        question = questions.get(qid) if qid in drawn else None
        if question is None:
            continue
        values = raw_values if isinstance(raw_values, list | tuple | set) else [raw_values]
        picked = sorted({i for i in (_index(v, len(question.choices)) for v in values) if i is not None})
        if not picked:
            continue
        if question.kind != QuestionKind.MULTIPLE and len(picked) != 1:
            continue
        out[str(question.id)] = picked
    return out


def _lock(attempt: ExamAttempt) -> ExamAttempt:
    """This attempt, re-read and locked for the transaction (two submits: one waits)."""
    return db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.id == attempt.id).with_for_update()
                             .execution_options(populate_existing=True))


def _refuse_closed(attempt: ExamAttempt) -> None:
    if attempt.submitted_at is not None:
        raise DomainError(_("This attempt was already submitted and graded (%(score)s points); nothing was "
                            "changed.", score=attempt.score), code="already_submitted")


def save_answers(attempt: ExamAttempt, answers: Mapping, now: datetime | None = None) -> dict[str, list[int]]:
    """Keep the answers so far (the page saves as the learner goes). Refused once the
    attempt is graded or its time is up: those answers would not count."""
    at = now or db_now()
    attempt = _lock(attempt)
    _refuse_closed(attempt)
    if at > attempt.deadline_at + SUBMIT_GRACE:
        raise DomainError(_("The time is up: answers can no longer be changed."), code="time_up")
    attempt.answers = clean_answers(attempt, answers)
    db.session.flush()
    return attempt.answers


@dataclass(frozen=True)
class Grade:
    attempt: ExamAttempt
    late: bool           # graded after the deadline: the answers sent with it did not count
    completed: bool      # the pass completed the course


def submit(attempt: ExamAttempt, answers: Mapping, now: datetime | None = None) -> Grade:
    """Grade the attempt on the server. In time: with these answers. After the deadline:
    with what was saved before it (``late``; the answers sent now are ignored). Refused
    for an attempt already graded (nothing changes)."""
    at = now or db_now()
    attempt = _lock(attempt)
    _refuse_closed(attempt)
    late = at > attempt.deadline_at + SUBMIT_GRACE
    kept = (attempt.answers or {}) if late else clean_answers(attempt, answers)
    return _grade(attempt, kept, at, late=late)


def _grade(attempt: ExamAttempt, answers: dict, at: datetime, *, late: bool) -> Grade:
    questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(
        Question.id.in_([int(i) for i in attempt.question_ids] or [0])))}
    right = sum(1 for qid in attempt.question_ids
                if qid in questions and sorted(answers.get(str(qid), [])) == sorted(questions[qid].answer))
    total = len(attempt.question_ids) or 1
    attempt.answers = dict(answers)
    attempt.score = (200 * right + total) // (2 * total)  # rounded half up
    attempt.passed = attempt.score >= attempt.pass_mark
    attempt.submitted_at = at
    attempt.late = late
    db.session.flush()
    completed = False
    if attempt.passed:
        enrollment = db.session.get(Enrollment, attempt.enrollment_id)
        completed = services.maybe_complete(enrollment, at)
    return Grade(attempt, late, completed)


def close_expired(now: datetime | None = None) -> int:
    """Grade every attempt whose time ran out with what was saved before it; how many."""
    at = now or db_now()
    ids = list(db.session.scalars(sa.select(ExamAttempt.id).where(
        ExamAttempt.submitted_at.is_(None), ExamAttempt.deadline_at < at - SUBMIT_GRACE)
        .order_by(ExamAttempt.id)))
    closed = 0
    for attempt_id in ids:
        attempt = db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id).with_for_update()
                                    .execution_options(populate_existing=True))
        if attempt is None or attempt.submitted_at is not None:
            continue  # graded by its submit meanwhile
        _grade(attempt, attempt.answers or {}, at, late=True)
        closed += 1
    return closed


# ---------------------------------------------------------------- review

@dataclass(frozen=True)
class ReviewItem:
    number: int                # 1, 2, … in the order drawn
    question: Question
    given: list[int]
    right: list[int]

    @property
    def correct(self) -> bool:
        return sorted(self.given) == sorted(self.right)


def attempt_questions(attempt: ExamAttempt) -> list[Question]:
    """The drawn questions in the order drawn (one statement)."""
    ids = [int(i) for i in attempt.question_ids]
    found = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids or [0])))}
    return [found[i] for i in ids if i in found]


def review(attempt: ExamAttempt) -> list[ReviewItem]:
    """Each question with the learner's answer and the right one; only for a graded attempt."""
    if attempt.submitted_at is None:
        raise DomainError(_("The result is shown once the attempt is submitted."), code="not_closed")
    answers = attempt.answers or {}
    return [ReviewItem(i, q, list(answers.get(str(q.id), [])), list(q.answer))
            for i, q in enumerate(attempt_questions(attempt), start=1)]


def choice_label(question: Question, index: int) -> str:
    if question.kind == QuestionKind.TRUE_FALSE:
        return _("True") if index == 0 else _("False")
    return f"{LETTERS[index]}. {question.choices[index]}" if 0 <= index < len(question.choices) else "?"

"""Exam pages. The learner's: the overview (rules, attempts, start), the attempt (questions
with a countdown; the server's deadline is the truth), submit, the result. The base
staff's: the question bank, the exam settings, the import."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ntbase.catalog.models import Course
from ntbase.kernel import tabular
from ntbase.kernel.auth import learner_required
from ntbase.kernel.db import db
from ntbase.kernel.db import now as db_now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import PASS_THROUGH, act, attach_error, submit
from ntbase.learning import exams, services
from ntbase.learning.blueprint import bp, staff_course
from ntbase.learning.exam_forms import (
    AnswersForm,
    ExamActionForm,
    ExamSettingsForm,
    QuestionForm,
    QuestionImportForm,
)
from ntbase.learning.models import QuestionKind

__all__ = ["bp"]


# ---------------------------------------------------------------- the learner's side

def _own(enrollment_id: int):
    enrollment = services.study_enrollment(enrollment_id, current_user.id)
    if enrollment is None:
        abort(404)
    return enrollment, db.session.get(Course, enrollment.course_id)


def _own_attempt(enrollment_id: int, attempt_id: int):
    enrollment, course = _own(enrollment_id)
    attempt = exams.attempt_of(enrollment, attempt_id)
    if attempt is None:
        abort(404)
    return enrollment, course, attempt


def _answers_from_form() -> dict[str, list[str]]:
    """Fields ``q<question id>``; which of them count is the service's business."""
    return {key[1:]: request.form.getlist(key) for key in request.form if key.startswith("q")}


def _refused(err: DomainError) -> None:
    if err.code in PASS_THROUGH:
        raise err
    db.session.rollback()
    flash(err.message, "error")


@bp.get("/learn/<int:enrollment_id>/exam")
@learner_required
def exam(enrollment_id: int):
    enrollment, course = _own(enrollment_id)
    return render_template("learning/exam.html", enrollment=enrollment, course=course,
                           view=exams.overview(enrollment), form=ExamActionForm())


@bp.post("/learn/<int:enrollment_id>/exam/start")
@learner_required
def exam_start(enrollment_id: int):
    enrollment, _course = _own(enrollment_id)
    if not ExamActionForm().validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "error")
        return redirect(url_for("learning.exam", enrollment_id=enrollment.id))
    try:
        attempt = exams.start_attempt(enrollment)
    except DomainError as err:
        _refused(err)
        return redirect(url_for("learning.exam", enrollment_id=enrollment.id))
    return redirect(url_for("learning.exam_attempt", enrollment_id=enrollment.id, attempt_id=attempt.id))


# one rule for GET and POST: with two rules on one path, werkzeug answers an oversized id
# in a POST with 405 instead of 404 (tests/test_bounded_input.py)
@bp.route("/learn/<int:enrollment_id>/exam/attempts/<int:attempt_id>", methods=["GET", "POST"])
@learner_required
def exam_attempt(enrollment_id: int, attempt_id: int):
    """GET: the questions with the countdown, or the result once graded. POST: submit."""
    if request.method == "POST":
        return _submit(enrollment_id, attempt_id)
    enrollment, course, attempt = _own_attempt(enrollment_id, attempt_id)
    if attempt.submitted_at is not None:
        return render_template("learning/exam_result.html", enrollment=enrollment, course=course, attempt=attempt,
                               items=exams.review(attempt), view=exams.overview(enrollment),
                               form=ExamActionForm(), choice_label=exams.choice_label)
    now = db_now()
    resp = render_template("learning/exam_attempt.html", enrollment=enrollment, course=course, attempt=attempt,
                           questions=exams.attempt_questions(attempt), answers=attempt.answers or {},
                           time_up=exams.is_closed(attempt, now), seconds_left=exams.seconds_left(attempt, now),
                           form=AnswersForm(), letters=exams.LETTERS, kinds=QuestionKind)
    return resp, 200, {"Cache-Control": "no-store"}


def _submit(enrollment_id: int, attempt_id: int):
    enrollment, _course, attempt = _own_attempt(enrollment_id, attempt_id)
    back = url_for("learning.exam_attempt", enrollment_id=enrollment.id, attempt_id=attempt.id)
    if not AnswersForm().validate_on_submit():
        flash(_("The form has expired. Reload the page and try again; answers saved so far are kept."), "error")
        return redirect(back)
    try:
        grade = exams.submit(attempt, _answers_from_form())
    except DomainError as err:
        _refused(err)
        return redirect(back)
    if grade.late:
        flash(_("The time was up at %(when)s: answers sent after it do not count. The attempt was graded with "
                "the answers saved before the deadline.", when=attempt.deadline_at.strftime("%H:%M:%S")), "warning")
    elif grade.attempt.passed:
        flash(_("You passed the exam."), "success")
    else:
        flash(_("You did not reach the pass mark this time."), "warning")
    return redirect(back)


@bp.post("/learn/<int:enrollment_id>/exam/attempts/<int:attempt_id>/save")
@learner_required
def exam_save(enrollment_id: int, attempt_id: int):
    """The page's autosave (fetch with the form's fields): JSON in the user's language."""
    enrollment, _course, attempt = _own_attempt(enrollment_id, attempt_id)
    if not AnswersForm().validate_on_submit():
        return jsonify(error="csrf", message=_("The page has expired. Reload it; answers saved so far are kept.")), 400
    try:
        kept = exams.save_answers(attempt, _answers_from_form())
    except DomainError as err:
        if err.code in PASS_THROUGH:
            raise
        db.session.rollback()
        return jsonify(error=err.code, message=err.message), 409
    resp = jsonify(saved=len(kept), message=_("Answers saved (%(n)s answered).", n=len(kept)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---------------------------------------------------------------- the base staff's side


def _bank_page(course: Course, *, settings_form=None, question_form=None, import_form=None, imported=None,
               status: int = 200):
    exam_row = services.exam_of(course.id)
    if settings_form is None:
        settings_form = ExamSettingsForm(formdata=None, obj=exam_row)
    return render_template(
        "learning/questions.html", course=course, exam=exam_row, questions=exams.questions_of(course.id),
        active=exams.active_count(course.id), settings_form=settings_form,
        question_form=question_form or QuestionForm(formdata=None), import_form=import_form or
        QuestionImportForm(formdata=None), imported=imported, toggle_form=ExamActionForm(),
        column_title=exams.column_title, columns=exams.COLUMNS, choice_label=exams.choice_label,
    ), status


def _question_input(form: QuestionForm) -> exams.QuestionInput:
    return exams.question_input(form.kind.data, form.text.data, (form.choices.data or "").splitlines(),
                                form.answer.data, form.explanation.data or "")


@bp.route("/manage/courses/<int:course_id>/questions", methods=["GET", "POST"])
@login_required
def questions(course_id: int):
    """The bank and the exam settings; POST adds a question."""
    course = staff_course(course_id)
    if request.method == "GET":
        return _bank_page(course)
    form = QuestionForm()
    if form.validate_on_submit() and submit(form, lambda: exams.add_question(course, _question_input(form)))[0]:
        flash(_("Question added."), "success")
        return redirect(url_for("learning.questions", course_id=course.id) + "#bank")
    return _bank_page(course, question_form=form, status=422)


@bp.post("/manage/courses/<int:course_id>/questions/exam")
@login_required
def exam_settings(course_id: int):
    course = staff_course(course_id)
    form = ExamSettingsForm()
    if form.validate_on_submit() and submit(form, lambda: exams.save_exam_settings(
            course, question_count=form.question_count.data, time_limit_minutes=form.time_limit_minutes.data,
            pass_mark=form.pass_mark.data))[0]:
        flash(_("Exam settings saved."), "success")
        return redirect(url_for("learning.questions", course_id=course.id))
    return _bank_page(course, settings_form=form, status=422)


@bp.route("/manage/courses/<int:course_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def question_edit(course_id: int, question_id: int):
    course = staff_course(course_id)
    question = exams.question_of(course.id, question_id)
    if question is None:
        abort(404)
    if request.method == "GET":
        form = QuestionForm(formdata=None, kind=question.kind.value, text=question.text,
                            choices="" if question.kind == QuestionKind.TRUE_FALSE else "\n".join(question.choices),
                            answer=("对" if question.answer == [0] else "错") if question.kind ==
                            QuestionKind.TRUE_FALSE else "".join(exams.LETTERS[i] for i in question.answer),
                            explanation=question.explanation)
        return render_template("learning/questions_edit.html", course=course, question=question, form=form)
    form = QuestionForm()
    if form.validate_on_submit() and submit(form, lambda: exams.edit_question(question, _question_input(form)))[0]:
        flash(_("Question saved."), "success")
        return redirect(url_for("learning.questions", course_id=course.id) + "#bank")
    return render_template("learning/questions_edit.html", course=course, question=question, form=form), 422


@bp.post("/manage/courses/<int:course_id>/questions/<int:question_id>/active")
@login_required
def question_active(course_id: int, question_id: int):
    """Take a question out of the draw, or put it back."""
    course = staff_course(course_id)
    question = exams.question_of(course.id, question_id)
    if question is None:
        abort(404)
    if ExamActionForm().validate_on_submit():
        turn_on = not question.active
        act(lambda: exams.set_active(question, turn_on),
            _("The question is back in the draw.") if turn_on else _("The question is no longer drawn."))
    else:
        flash(_("The form has expired. Reload the page and try again."), "error")
    return redirect(url_for("learning.questions", course_id=course.id) + "#bank")


@bp.post("/manage/courses/<int:course_id>/questions/import")
@login_required
def questions_import(course_id: int):
    course = staff_course(course_id)
    if (request.content_length or 0) > exams.MAX_UPLOAD_BYTES + 64 * 1024:
        form = QuestionImportForm(formdata=None)
        form.file.errors = [str(exams.FILE_MESSAGES["too_large"])]
        return _bank_page(course, import_form=form, status=413)
    form = QuestionImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [_("Choose a file to upload.")]
        else:
            try:
                result = exams.import_questions(course, upload.filename,
                                                upload.stream.read(exams.MAX_UPLOAD_BYTES + 1))
            except exams.ImportFileError as err:
                form.file.errors = [err.message]
            except DomainError as err:
                attach_error(form, err)
    if result is not None and result.ok:
        flash(_("Questions imported: %(n)s.", n=len(result.imported)), "success")
        return redirect(url_for("learning.questions", course_id=course.id) + "#bank")
    db.session.rollback()  # a failed import imports nothing
    return _bank_page(course, import_form=form, imported=result, status=422)


@bp.get("/manage/courses/<int:course_id>/questions/template.<fmt>")
@login_required
def questions_template(course_id: int, fmt: str):
    staff_course(course_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = exams.template_xlsx() if fmt == "xlsx" else exams.template_csv()
    return tabular.download_response(data, f"ntbase-questions-template.{fmt}", fmt)

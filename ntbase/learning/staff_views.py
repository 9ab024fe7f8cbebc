"""The base staff's lessons editor: chapters and lessons of an online or blended course,
their files (uploaded with a progress bar when JavaScript runs, a plain form otherwise),
order, removal and a preview.

Uploads are the one place NTBase takes large bodies (``MEDIA_MAX_BYTES``, 2 GB by default,
against 20 MB elsewhere): the upload views are exempt from the global CSRF check, which
would read the body under the global limit before the view can raise it, and check the
token themselves through their FlaskForm once the limit is raised.
"""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ntbase.catalog.models import Course
from ntbase.kernel import uow
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.extensions import csrf
from ntbase.kernel.forms import act, attach_error, submit
from ntbase.learning import services, staff
from ntbase.learning.blueprint import bp, staff_course
from ntbase.learning.forms import (
    ChapterForm,
    ConfirmForm,
    LessonEditForm,
    LessonFileForm,
    LessonForm,
    MoveForm,
)
from ntbase.learning.models import Chapter, Lesson, LessonKind
from ntbase.media import get_storage, media_settings
from ntbase.media.checks import DOCUMENT_KINDS, VIDEO_KINDS, format_limit, too_large
from ntbase.media.ingest import store_upload

__all__ = ["bp"]

MULTIPART_SLACK = 1024 * 1024  # the form's other fields and the multipart framing



def _chapter(course: Course, chapter_id: int) -> Chapter:
    chapter = db.session.get(Chapter, chapter_id)
    if chapter is None or chapter.course_id != course.id:
        abort(404)
    return chapter


def _lesson(course: Course, lesson_id: int) -> Lesson:
    lesson = services.lesson_of(course.id, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _lessons_url(course: Course, anchor: str = "") -> str:
    return url_for("learning.manage_lessons", course_id=course.id) + (f"#{anchor}" if anchor else "")


def _page(course: Course, *, chapter_form=None, lesson_form=None, status: int = 200):
    syllabus = services.syllabus(course)
    if lesson_form is None:
        lesson_form = LessonForm(formdata=None)
    lesson_form.chapter_id.choices = [(ch.id, ch.title) for ch in syllabus.chapters]
    limit = media_settings(current_app).max_bytes
    return render_template(
        "learning/manage_lessons.html", course=course, syllabus=syllabus, started=staff.started_counts(course.id),
        capacity=services.hours_capacity(course, syllabus.total_seconds),
        chapter_form=chapter_form or ChapterForm(formdata=None), lesson_form=lesson_form,
        rename_form=ChapterForm(formdata=None), move_form=MoveForm(formdata=None), action_form=ConfirmForm(formdata=None),
        file_form=LessonFileForm(formdata=None), limit=format_limit(limit), limit_bytes=limit,
    ), status


@csrf.exempt  # the POST checks the token itself, after raising the body limit (see the module doc)
@bp.route("/manage/courses/<int:course_id>/lessons", methods=["GET", "POST"])
@login_required
def manage_lessons(course_id: int):
    """The editor; POST adds a lesson (one rule for both, so an oversized id is a 404)."""
    course = staff_course(course_id)
    if request.method == "GET":
        return _page(course)
    return _lesson_add(course)


@bp.post("/manage/courses/<int:course_id>/lessons/chapters")
@login_required
def chapter_add(course_id: int):
    course = staff_course(course_id)
    form = ChapterForm()
    ok = form.validate_on_submit() and submit(form, lambda: staff.add_chapter(course, form.title.data))[0]
    if ok:
        flash(_("Chapter added."), "success")
        return redirect(_lessons_url(course, "add-lesson"))
    return _page(course, chapter_form=form, status=422)


def _expired() -> None:
    flash(_("The form has expired. Reload the page and try again."), "error")


@bp.post("/manage/courses/<int:course_id>/lessons/chapters/<int:chapter_id>")
@login_required
def chapter_rename(course_id: int, chapter_id: int):
    course = staff_course(course_id)
    chapter = _chapter(course, chapter_id)
    form = ChapterForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            _expired()
        else:
            flash(_("Give the chapter a title of at most 200 characters."), "error")
    else:
        act(lambda: staff.rename_chapter(course, chapter, form.title.data), _("Chapter renamed."))
    return redirect(_lessons_url(course, f"chapter-{chapter.id}"))


def _move(course: Course, mover, anchor: str):
    form = MoveForm()
    if form.validate_on_submit():
        act(lambda: mover(form.step.data), "")
    else:
        _expired()
    return redirect(_lessons_url(course, anchor))


@bp.post("/manage/courses/<int:course_id>/lessons/chapters/<int:chapter_id>/move")
@login_required
def chapter_move(course_id: int, chapter_id: int):
    course = staff_course(course_id)
    chapter = _chapter(course, chapter_id)
    return _move(course, lambda step: staff.move_chapter(course, chapter, step), f"chapter-{chapter.id}")


def _delete(course: Course, remover, success: str, anchor: str = ""):
    """Remove, then delete the files once the removal is committed (never before: a failed
    request must leave the lesson with its file)."""
    if not ConfirmForm().validate_on_submit():
        _expired()
        return redirect(_lessons_url(course, anchor))
    keys: list[str] = []

    def run():
        keys.extend(remover())

    if act(run, success):
        storage = get_storage(current_app)
        for key in keys:
            uow.after_commit(lambda key=key: storage.delete(key))
    return redirect(_lessons_url(course, anchor))


@bp.post("/manage/courses/<int:course_id>/lessons/chapters/<int:chapter_id>/delete")
@login_required
def chapter_delete(course_id: int, chapter_id: int):
    course = staff_course(course_id)
    chapter = _chapter(course, chapter_id)
    return _delete(course, lambda: staff.delete_chapter(course, chapter), _("Chapter removed."))


# ---------------------------------------------------------------- lessons

def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _raise_limit() -> int:
    limit = media_settings(current_app).max_bytes
    request.max_content_length = limit + MULTIPART_SLACK
    return limit


def _open_upload(limit: int) -> bool:
    """Read the body under the media limit and check the CSRF token (400 if wrong, as
    everywhere); False when the body is over the limit (nothing of it is kept)."""
    if (request.content_length or 0) > limit + MULTIPART_SLACK:
        return False
    try:
        request.form  # noqa: B018 - parse the body now, under the raised limit
    except RequestEntityTooLarge:
        return False
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return True


def _form_errors(form) -> dict[str, list[str]]:
    errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items() if msgs}
    if form.form_errors:
        errors["_form"] = [str(m) for m in form.form_errors]
    return errors


def _upload_answer(course: Course, form, ok: bool, page, success: str, anchor: str):
    """The same answer to the script (JSON) and to a plain form (a redirect or the page)."""
    if ok:
        flash(success, "success")
        if _wants_json():
            return jsonify(ok=True, redirect=_lessons_url(course, anchor))
        return redirect(_lessons_url(course, anchor))
    db.session.rollback()
    if _wants_json():
        return jsonify(ok=False, errors=_form_errors(form)), 422
    return page()


def _too_large_answer(course: Course, limit: int, form_class, page):
    message = too_large(limit).message
    if _wants_json():
        return jsonify(ok=False, errors={"file": [message]}), 413
    form = form_class(formdata=None)
    form.file.errors = [message]
    return page(form, 413)


def _store(form, allowed) -> tuple | None:
    """Check and store the form's file; the error goes on the field."""
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        form.file.errors = list(form.file.errors or []) + [_("Choose the file to upload.")]
        return None
    limit = media_settings(current_app).max_bytes
    try:
        checked = store_upload(upload.stream, get_storage(current_app), max_bytes=limit, allowed=allowed)
    except DomainError as err:
        attach_error(form, err)
        return None
    return checked.stored, checked.info


def _allowed(kind: LessonKind) -> frozenset[str]:
    return VIDEO_KINDS if kind == LessonKind.VIDEO else DOCUMENT_KINDS


def _with_file(form, allowed, action):
    """Store the file, run the service; a refused change deletes the file it stored."""
    stored = _store(form, allowed)
    if stored is None:
        return False, None
    ok, result = submit(form, lambda: action(stored))
    if not ok:
        get_storage(current_app).delete(stored[0].key)
    return ok, result


def _lesson_add(course: Course):
    limit = _raise_limit()

    def page(form=None, status=422):
        return _page(course, lesson_form=form, status=status)

    if not _open_upload(limit):
        return _too_large_answer(course, limit, LessonForm, page)
    form = LessonForm()
    form.chapter_id.choices = [(ch.id, ch.title) for ch in services.chapters_of(course.id)]
    valid = form.validate_on_submit()
    ok = False
    if valid:
        chapter = _chapter(course, form.chapter_id.data)
        kind = LessonKind(form.kind.data)
        fields = dict(title=form.title.data, kind=kind, minutes=form.minutes.data)
        if kind == LessonKind.LIVE:
            ok = submit(form, lambda: staff.add_lesson(
                course, chapter, **fields, join_url=form.join_url.data, starts_at=form.starts_at.data,
                ends_at=form.ends_at.data))[0]
        elif kind == LessonKind.DOCUMENT and not form.minutes.data:
            form.minutes.errors = [_("Enter the minutes this document takes to study, from 1 to 6000.")]
        else:
            ok = _with_file(form, _allowed(kind),
                            lambda up: staff.add_lesson(course, chapter, **fields, upload=up))[0]
    return _upload_answer(course, form, ok, lambda: page(form), _("Lesson added."), "add-lesson")


@bp.route("/manage/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@login_required
def lesson_edit(course_id: int, lesson_id: int):
    course = staff_course(course_id)
    lesson = _lesson(course, lesson_id)
    if request.method == "GET":
        form = LessonEditForm(formdata=None, obj=lesson, minutes=lesson.duration_seconds // 60)
        return _edit_page(course, lesson, form)
    form = LessonEditForm()
    if form.validate_on_submit() and submit(form, lambda: staff.update_lesson(
            course, lesson, title=form.title.data, minutes=form.minutes.data, join_url=form.join_url.data,
            starts_at=form.starts_at.data, ends_at=form.ends_at.data))[0]:
        flash(_("Lesson saved."), "success")
        return redirect(_lessons_url(course, f"lesson-{lesson.id}"))
    return _edit_page(course, lesson, form, status=422)


def _edit_page(course: Course, lesson: Lesson, form, *, file_form=None, status: int = 200):
    return render_template("learning/manage_lesson.html", course=course, lesson=lesson, form=form,
                           file_form=file_form or LessonFileForm(formdata=None),
                           started=staff.started_counts(course.id).get(lesson.id, 0),
                           limit=format_limit(media_settings(current_app).max_bytes),
                           limit_bytes=media_settings(current_app).max_bytes), status


@csrf.exempt
@bp.post("/manage/courses/<int:course_id>/lessons/<int:lesson_id>/file")
@login_required
def lesson_file(course_id: int, lesson_id: int):
    course = staff_course(course_id)
    lesson = _lesson(course, lesson_id)
    limit = _raise_limit()

    def page(form=None, status=422):
        return _edit_page(course, lesson, LessonEditForm(formdata=None, obj=lesson,
                                                         minutes=lesson.duration_seconds // 60),
                          file_form=form, status=status)

    if lesson.kind == LessonKind.LIVE:
        abort(404)
    if not _open_upload(limit):
        return _too_large_answer(course, limit, LessonFileForm, page)
    form = LessonFileForm()
    valid = form.validate_on_submit()
    ok = False
    if valid:
        ok, old = _with_file(form, _allowed(lesson.kind), lambda up: staff.replace_file(course, lesson, up))
        if ok and old:
            storage = get_storage(current_app)
            uow.after_commit(lambda: storage.delete(old))
    return _upload_answer(course, form, ok, lambda: page(form), _("File replaced."), f"lesson-{lesson.id}")


@bp.post("/manage/courses/<int:course_id>/lessons/<int:lesson_id>/move")
@login_required
def lesson_move(course_id: int, lesson_id: int):
    course = staff_course(course_id)
    lesson = _lesson(course, lesson_id)
    return _move(course, lambda step: staff.move_lesson(course, lesson, step), f"lesson-{lesson.id}")


@bp.post("/manage/courses/<int:course_id>/lessons/<int:lesson_id>/delete")
@login_required
def lesson_delete(course_id: int, lesson_id: int):
    course = staff_course(course_id)
    lesson = _lesson(course, lesson_id)
    return _delete(course, lambda: staff.delete_lesson(course, lesson), _("Lesson removed."),
                   f"chapter-{lesson.chapter_id}")


@bp.get("/manage/courses/<int:course_id>/lessons/<int:lesson_id>/preview")
@login_required
def lesson_preview(course_id: int, lesson_id: int):
    """The file as learners get it: a short-lived URL signed for this staff member."""
    course = staff_course(course_id)
    lesson = _lesson(course, lesson_id)
    url = services.media_url(lesson, current_user.id)
    if url is None:
        abort(404)
    resp = redirect(url)
    resp.headers["Cache-Control"] = "no-store"
    return resp


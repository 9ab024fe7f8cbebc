"""The learner's side of online study: the course's lessons, the player, the heartbeat,
fresh media links, joining a live session."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.catalog.models import Course
from ntbase.kernel.auth import learner_required
from ntbase.kernel.bounds import parse_id
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.learning import services, tracking
from ntbase.learning.blueprint import bp
from ntbase.learning.forms import ConfirmForm
from ntbase.learning.messages import player_text, still_here_button
from ntbase.learning.models import LessonKind

__all__ = ["bp"]


def _own(enrollment_id: int):
    enrollment = services.study_enrollment(enrollment_id, current_user.id)
    if enrollment is None:
        abort(404)
    return enrollment, db.session.get(Course, enrollment.course_id)


def _lesson(course: Course, lesson_id: int):
    lesson = services.lesson_of(course.id, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _plyr_labels() -> dict:
    return {"play": _("Play"), "pause": _("Pause"), "mute": _("Mute"), "unmute": _("Unmute"),
            "enterFullscreen": _("Full screen"), "exitFullscreen": _("Leave full screen"),
            "settings": _("Settings"), "speed": _("Speed"), "normal": _("Normal"),
            "currentTime": _("Current time"), "duration": _("Duration"), "volume": _("Volume"),
            "seek": _("Seek")}


@bp.get("/learn/<int:enrollment_id>")
@learner_required
def course(enrollment_id: int):
    enrollment, course = _own(enrollment_id)
    syllabus = services.syllabus(course)
    states = services.lesson_states(enrollment.id, syllabus.lessons)
    exam = services.exam_of(course.id)
    return render_template("learning/course.html", enrollment=enrollment, course=course, syllabus=syllabus,
                           states={s.lesson.id: s for s in states}, next_state=services.continue_lesson(states),
                           exam=exam, exam_passed=services.exam_passed(enrollment.id) if exam else False,
                           may_study=services.may_study(enrollment))


@bp.get("/learn/<int:enrollment_id>/lessons/<int:lesson_id>")
@learner_required
def lesson(enrollment_id: int, lesson_id: int):
    enrollment, course = _own(enrollment_id)
    lesson = _lesson(course, lesson_id)
    syllabus = services.syllabus(course)
    states = {s.lesson.id: s for s in services.lesson_states(enrollment.id, syllabus.lessons)}
    ordered = syllabus.lessons
    index = next(i for i, x in enumerate(ordered) if x.id == lesson.id)
    rules = services.rules()
    media = services.media_url(lesson, current_user.id) if services.may_study(enrollment) else None
    return render_template(
        "learning/lesson.html", enrollment=enrollment, course=course, lesson=lesson, syllabus=syllabus,
        states=states, state=states[lesson.id], media=media, rules=rules,
        previous=ordered[index - 1] if index else None, following=ordered[index + 1] if index + 1 < len(ordered) else None,
        may_study=services.may_study(enrollment) and enrollment.state.value == "confirmed",
        live_window=services.live_window(lesson) if lesson.kind == LessonKind.LIVE else None,
        join_form=ConfirmForm(), plyr_labels=_plyr_labels(), still_here=still_here_button(),
        messages={m.value: player_text(m) for m in tracking.Message if player_text(m)})


@bp.post("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/beat")
def beat(enrollment_id: int, lesson_id: int):
    """One heartbeat of the player (JSON in, JSON out; docs/online-learning.md). The hottest
    write of the site: after the first beat on a lesson, one statement reads the active
    learner's enrollment and lesson and locks their playback and progress rows, with the
    learner's id from the signed session and no separate user load; anything else (the
    first beat, another role, someone else's enrollment) takes the checked path below."""
    learner_id = parse_id(session.get("_user_id"))
    rows = services.beat_rows(enrollment_id, lesson_id, learner_id) if learner_id else None
    if rows is not None:
        enrollment, lesson, *locked = rows
        return _beat(enrollment, lesson, tuple(locked))
    return _checked_beat(enrollment_id, lesson_id)


@learner_required
def _checked_beat(enrollment_id: int, lesson_id: int):
    found = services.beat_target(enrollment_id, lesson_id, current_user.id)
    if found is None:
        abort(404)
    return _beat(*found)


def _beat(enrollment, lesson, locked: tuple | None = None):
    payload = request.get_json(silent=True)
    try:
        heartbeat = tracking.parse_heartbeat(payload if isinstance(payload, dict) else {})
    except tracking.InvalidHeartbeat as err:
        return jsonify(error="invalid", message=_("This is not a heartbeat the player sends: %(why)s.",
                                                  why=str(err))), 400
    outcome = services.heartbeat(enrollment, lesson, heartbeat, locked=locked)
    body = outcome.answer() | {"text": player_text(outcome.message)}
    if outcome.just_done:
        body["completed"] = enrollment.state.value == "completed"
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/source")
@learner_required
def source(enrollment_id: int, lesson_id: int):
    """A fresh signed media link when the player's has expired."""
    enrollment, course = _own(enrollment_id)
    lesson = _lesson(course, lesson_id)
    if not services.may_study(enrollment) or not lesson.media_key:
        return jsonify(error="forbidden", message=_("Your seat in this course is not confirmed.")), 403
    resp = jsonify(url=services.media_url(lesson, current_user.id))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/join")
@learner_required
def join(enrollment_id: int, lesson_id: int):
    """Join a live session through NTBase: the join time is the attendance."""
    enrollment, course = _own(enrollment_id)
    lesson = _lesson(course, lesson_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise DomainError(_("The form has expired. Reload the page and try again."))
    return redirect(services.join_live(enrollment, lesson))

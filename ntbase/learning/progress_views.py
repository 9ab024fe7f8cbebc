"""The base staff's progress page of an online or blended course (every learner × every
lesson, the exam attempts) and its CSV / XLSX export."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required

from ntbase.catalog.models import Course
from ntbase.kernel import tabular
from ntbase.kernel.auth import require_base_manager
from ntbase.kernel.db import db
from ntbase.learning import services
from ntbase.learning.blueprint import bp
from ntbase.learning.progress import course_progress, progress_table

__all__ = ["bp"]

EXPORT_FORMATS = ("csv", "xlsx")


def _staff_course(course_id: int) -> Course:
    """The course, for its own base's staff (or an admin) only; as on the exam pages: 404
    when missing or not studied online, 403 for anybody else."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    require_base_manager(course.base_id)
    if course.mode not in services.ONLINE_MODES:
        abort(404)
    return course


@bp.get("/manage/courses/<int:course_id>/progress")
@login_required
def manage_progress(course_id: int):
    course = _staff_course(course_id)
    view = course_progress(course)
    resp = render_template("learning/progress.html", course=course, view=view,
                           done_share=round(services.rules().done_share * 100))
    return resp, 200, {"Cache-Control": "no-store"}  # names and ID numbers (masked) of learners


@bp.get("/manage/courses/<int:course_id>/progress.<fmt>")
@login_required
def manage_progress_export(course_id: int, fmt: str):
    course = _staff_course(course_id)
    if fmt not in EXPORT_FORMATS:
        abort(404)
    header, table = progress_table(course_progress(course))
    return tabular.download(header, table, fmt, f"progress-course-{course.id}.{fmt}", sheet=course.title)

"""The base staff's progress page of an online or blended course (every learner × every
lesson, the exam attempts) and its CSV / XLSX export."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required

from ntbase.kernel import tabular
from ntbase.learning import services
from ntbase.learning.blueprint import bp, staff_course
from ntbase.learning.progress import course_progress, progress_table

__all__ = ["bp"]

EXPORT_FORMATS = ("csv", "xlsx")



@bp.get("/manage/courses/<int:course_id>/progress")
@login_required
def manage_progress(course_id: int):
    course = staff_course(course_id)
    view = course_progress(course)
    resp = render_template("learning/progress.html", course=course, view=view,
                           done_share=round(services.rules().done_share * 100))
    return resp, 200, {"Cache-Control": "no-store"}  # names and ID numbers (masked) of learners


@bp.get("/manage/courses/<int:course_id>/progress.<fmt>")
@login_required
def manage_progress_export(course_id: int, fmt: str):
    course = staff_course(course_id)
    if fmt not in EXPORT_FORMATS:
        abort(404)
    header, table = progress_table(course_progress(course))
    return tabular.download(header, table, fmt, f"progress-course-{course.id}.{fmt}", sheet=course.title)

"""The one ``learning`` blueprint; the learner's, the exam's and the staff's view modules
add their routes to it, and share the staff pages' access check."""
from __future__ import annotations

from flask import Blueprint, abort

from ntbase.catalog.models import Course
from ntbase.kernel.auth import require_base_manager
from ntbase.kernel.db import db
from ntbase.learning.services import ONLINE_MODES

bp = Blueprint("learning", __name__)


def staff_course(course_id: int) -> Course:
    """The course, for its own base's staff (or an admin) only: 404 when it is missing or
    not studied online, 403 for anybody else."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    require_base_manager(course.base_id)
    if course.mode not in ONLINE_MODES:
        abort(404)
    return course

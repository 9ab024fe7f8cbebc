"""A course's seat counter: ``Course.seats_taken`` (held + confirmed + offered seats).

The catalog owns the column; the enrollment domain moves it through these two functions
only, each one atomic conditional UPDATE, never read-then-written in Python::

    UPDATE course SET seats_taken = seats_taken + 1 WHERE id = :id AND seats_taken < capacity

On PostgreSQL concurrent requests queue on the row lock and each re-checks the condition
on the latest row, so the last seat goes to exactly one of them; the CHECK constraint
``seats_taken <= capacity`` backs this up.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.util import identity_key

from ntbase.catalog.models import Course
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError

log = logging.getLogger(__name__)


def take_seat(course_id: int) -> bool:
    """One atomic conditional UPDATE; True when a seat was taken."""
    result = db.session.execute(
        sa.update(Course)
        .where(Course.id == course_id, Course.seats_taken < Course.capacity)
        .values(seats_taken=Course.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    _expire_seat_count(course_id)
    return result.rowcount == 1


def take_seats(course_id: int, n: int) -> bool:
    """``n`` seats at once or none (a group enrollment): one conditional UPDATE."""
    if n <= 0:
        return True
    result = db.session.execute(
        sa.update(Course)
        .where(Course.id == course_id, Course.seats_taken + n <= Course.capacity)
        .values(seats_taken=Course.seats_taken + n)
        .execution_options(synchronize_session=False)
    )
    _expire_seat_count(course_id)
    return result.rowcount == 1


def free_seats(course_id: int, n: int = 1) -> None:
    if n <= 0:
        return
    result = db.session.execute(
        sa.update(Course)
        .where(Course.id == course_id, Course.seats_taken >= n)
        .values(seats_taken=Course.seats_taken - n)
        .execution_options(synchronize_session=False)
    )
    _expire_seat_count(course_id)
    if result.rowcount != 1:  # pragma: no cover - would mean the counter had drifted
        log.error("seat counter of course %s below %s while freeing seats", course_id, n)
        raise DomainError(_("The seat count of this course is inconsistent; please contact support."))


def _expire_seat_count(course_id: int) -> None:
    """The UPDATE bypassed the ORM: make a loaded Course re-read its counter."""
    course = db.session.identity_map.get(identity_key(Course, course_id))
    if course is not None:
        db.session.expire(course, ["seats_taken"])

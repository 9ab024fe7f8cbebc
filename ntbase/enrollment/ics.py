"""One private .ics feed of all a learner's sessions.

The URL carries a signed token (itsdangerous), not the user id alone: it names the user
and a keyed digest of their password hash, so changing the password retires old feed URLs.
"""
from __future__ import annotations

import hashlib
import hmac
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import joinedload

from ntbase.accounts.models import User
from ntbase.catalog.models import Course
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now

TZ = ZoneInfo("Asia/Shanghai")  # stored datetimes are naive China Standard Time
# sessions worth a place in the learner's calendar
CALENDAR_STATES = (EnrollmentState.HELD, EnrollmentState.CONFIRMED, EnrollmentState.COMPLETED)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ics-feed")


def _password_tag(user: User) -> str:
    # a keyed digest of the password hash, never a piece of the hash itself: the token is
    # signed but readable (base64), and a feed URL ends up in calendar apps and their logs
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"ics:" + (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:16]


def calendar_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "h": _password_tag(user)})


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or not hmac.compare_digest(_password_tag(user), str(data.get("h"))):
        return None
    return user


def build_calendar(user: User) -> bytes:
    enrollments = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.learner_id == user.id, Enrollment.state.in_(CALENDAR_STATES))
        .options(joinedload(Enrollment.course).joinedload(Course.base),
                 joinedload(Enrollment.course).joinedload(Course.location),
                 joinedload(Enrollment.course).selectinload(Course.sessions))
    ).unique().all()
    cal = Calendar()
    cal.add("prodid", "-//NTBase//Nantong continuing education//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "NTBase")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = now().replace(tzinfo=TZ)
    for enrollment in enrollments:
        course = enrollment.course
        where = ""
        if course.location is not None:
            where = f"{course.location.name} {course.location.address}".strip()
        for i, session in enumerate(course.sessions, start=1):
            ev = Event()
            ev.add("uid", f"session-{session.id}-enrollment-{enrollment.id}@ntbase")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", session.starts_at.replace(tzinfo=TZ))
            ev.add("dtend", session.ends_at.replace(tzinfo=TZ))
            summary = course.title if len(course.sessions) == 1 else f"{course.title} ({i}/{len(course.sessions)})"
            ev.add("summary", summary)
            ev.add("description", " · ".join(x for x in (course.base.name, session.topic) if x))
            if where:
                ev.add("location", where)
            ev.add("status", "CONFIRMED" if enrollment.state != EnrollmentState.HELD else "TENTATIVE")
            cal.add_component(ev)
    return cal.to_ical()

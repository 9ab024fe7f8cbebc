"""A course's schedule as an iCalendar file (RFC 5545), one event per session."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from ntbase.catalog.models import Course
from ntbase.kernel.db import now

# stored datetimes are naive China Standard Time (ntbase.db.now)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def course_calendar(course: Course, url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//NTBase//Nantong Continuing Education//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", course.title)
    stamp = now().replace(tzinfo=SHANGHAI)
    where = ""
    if course.location is not None:
        where = f"{course.location.name} {course.location.address}"
    for i, s in enumerate(course.sessions, start=1):
        ev = Event()
        ev.add("uid", f"course-{course.id}-session-{s.id}@ntbase")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", s.starts_at.replace(tzinfo=SHANGHAI))
        ev.add("dtend", s.ends_at.replace(tzinfo=SHANGHAI))
        title = course.title if len(course.sessions) == 1 else f"{course.title} ({i}/{len(course.sessions)})"
        ev.add("summary", title)
        room = s.room or course.room
        if room is not None or where:
            ev.add("location", " ".join(x for x in (where, room.name if room is not None else "") if x))
        ev.add("description", f"{course.base.name}\n{url}")
        ev.add("url", url)
        if course.status.value == "cancelled":
            ev.add("status", "CANCELLED")
        cal.add_component(ev)
    if hasattr(cal, "add_missing_timezones"):
        cal.add_missing_timezones()
    return cal.to_ical()

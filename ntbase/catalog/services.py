"""Courses: create, edit, publish, close, cancel. The rules of ../shared/RULES.md §3 and §5.

Functions take plain values (``CourseInput``) so the pages, the importer, the API and the
demo loader share one set of rules. They flush, never commit.
"""
from __future__ import annotations

import html
import itertools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import markdown
import nh3
import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ntbase.bases.models import FeeItem, Room, TrainingBase
from ntbase.bases.services import (
    current_disclosure,
    disclosure_incomplete_message,
    join_list,
    load_disclosure,
    record_disclosure_version,
    snapshot_of,
)
from ntbase.catalog import inputs
from ntbase.catalog.events import CourseCancelled, CourseChanged, CourseReadyCheck, SessionsRemoved
from ntbase.catalog.models import (
    Course,
    CourseChange,
    CourseFeeLine,
    CourseMode,
    CourseSession,
    CourseStatus,
    course_teacher,
)
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish
from ntbase.kernel.formatting import format_yuan

# Art. 17(2)/(3): hours per day of training
HOURS_PER_DAY = Decimal("6")
TALENT_HOURS_PER_DAY = Decimal("8")
# a day with more than this many scheduled hours is a full day; otherwise half a day
FULL_DAY_MIN_HOURS = 4
MAX_CAPACITY = 10000
ONE_PLACE = Decimal("0.1")

# what a course description may contain after sanitising
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h3", "h4", "blockquote", "a",
                "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr"}


@dataclass
class SessionInput:
    starts_at: datetime
    ends_at: datetime
    room_id: int | None = None
    topic: str = ""


@dataclass
class FeeLineInput:
    fee_item_id: int
    quantity: int = 1


@dataclass
class CourseInput:
    title: str
    category: str
    mode: str = CourseMode.IN_PERSON.value
    sessions: list[SessionInput] = field(default_factory=list)
    fee_lines: list[FeeLineInput] = field(default_factory=list)
    # a declared price (import/API): must equal the sum of the fee lines, or, with no fee
    # lines, the amount of one declared fee item; None = the sum of the fee lines
    price_fen: int | None = None
    hours: Decimal | None = None  # None = the Art. 17 default
    is_talent_training: bool = False
    teacher_ids: list[int] = field(default_factory=list)
    room_id: int | None = None
    profession_series: list[str] = field(default_factory=list)
    staff_levels: list[str] = field(default_factory=list)
    enroll_opens_at: datetime | None = None
    enroll_closes_at: datetime | None = None
    capacity: int = 30
    refund_policy: str = ""
    refund_cutoff_hours: int = 24
    description_md: str = ""
    change_reason: str = ""  # required when price/schedule/location change after enrollments
    # the person saw that the price is far above the base's usual ones and confirmed it (#15.13)
    confirm_unusual_price: bool = False


# ---------------------------------------------------------------- pure helpers
UNUSUAL_PRICE_FACTOR = 3
UNUSUAL_PRICE_MIN_PEERS = 3


def unusual_price_limit(price_fen: int, peer_prices: list[int]) -> int | None:
    """The price above which ``price_fen`` must be confirmed — ``UNUSUAL_PRICE_FACTOR`` times
    the dearest of the base's published priced courses — when ``price_fen`` is above it;
    None otherwise, and with fewer than ``UNUSUAL_PRICE_MIN_PEERS`` of them (nothing usual
    to compare with yet).

    Why the dearest course and not a median per hour: bases price a course per term
    (每人每期), not per hour, so a specialized course with materials legitimately costs
    several times a public-subject one of the same length (the demo's own catalogue fails a
    "3 × median per hour" rule). A price the base already charges elsewhere is never
    questioned; 50 typed as the quantity of a ¥200 item (¥10,000) still is."""
    priced = [p for p in peer_prices if p > 0]
    if len(priced) < UNUSUAL_PRICE_MIN_PEERS:
        return None
    limit = UNUSUAL_PRICE_FACTOR * max(priced)
    return limit if price_fen > limit else None


def render_description(md_text: str) -> str:
    """Markdown -> HTML with only harmless tags left (no script, no event handlers)."""
    raw = markdown.markdown(md_text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(raw, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "td": {"align"},
                                                         "th": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def plain_text(html_text: str) -> str:
    return " ".join(html.unescape(nh3.clean(html_text or "", tags=set())).split())


def training_days(sessions: list[SessionInput]) -> Decimal:
    """Days of attendance (Art. 17): a date counts 1, or ½ when it has at most 4 hours."""
    per_date: dict = defaultdict(timedelta)
    for s in sessions:
        per_date[s.starts_at.date()] += s.ends_at - s.starts_at
    days = Decimal(0)
    for total in per_date.values():
        days += Decimal(1) if total > timedelta(hours=FULL_DAY_MIN_HOURS) else Decimal("0.5")
    return days


def default_hours(sessions: list[SessionInput], talent: bool) -> Decimal:
    """Art. 17: days × 6 h (× 8 h when run as city high-level-talent training)."""
    rate = TALENT_HOURS_PER_DAY if talent else HOURS_PER_DAY
    return (training_days(sessions) * rate).quantize(ONE_PLACE)


def parse_hours(raw, field: str = "hours") -> Decimal | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(_("Enter hours as a number with at most one decimal place."), field=field) from exc
    if not value.is_finite() or value != value.quantize(ONE_PLACE):
        raise DomainError(_("Enter hours as a number with at most one decimal place."), field=field)
    return value


# ---------------------------------------------------------------- look-ups
def get_course(course_id: int) -> Course | None:
    return db.session.get(Course, course_id)


def visible_to(course: Course, user) -> bool:
    """Drafts only to their own base's staff; every other status to everyone (the course
    page, the enrollment page)."""
    return course.status != CourseStatus.DRAFT or (user.is_authenticated and user.can_manage_base(course.base_id))


def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def load_course(course_id: int) -> Course | None:
    """A course with everything its page shows, in a fixed number of statements."""
    return db.session.scalar(
        sa.select(Course).where(Course.id == course_id).options(
            sa.orm.joinedload(Course.base), sa.orm.joinedload(Course.location),
            sa.orm.joinedload(Course.room),
            sa.orm.joinedload(Course.disclosure_version),
            selectinload(Course.sessions).joinedload(CourseSession.room),
            selectinload(Course.teachers),
            selectinload(Course.fee_lines).joinedload(CourseFeeLine.fee_item),
        )
    )


def base_courses(base_id: int, page: int = 1, per_page: int = 50):
    """A base's courses for its staff, a page at a time: drafts first, then the latest start first."""
    stmt = (sa.select(Course).where(Course.base_id == base_id)
            .order_by((Course.status == CourseStatus.DRAFT).desc(), Course.first_session_at.desc().nulls_last(),
                      Course.id.desc()))
    return db.paginate(stmt, page=max(1, min(int(page or 1), 10000)), per_page=per_page, error_out=False)


# ---------------------------------------------------------------- validation
def _resolve_fee_lines(course: Course, base: TrainingBase, data: inputs.CourseFields) -> list[tuple[FeeItem, int, int]]:
    """[(fee item, quantity, amount_fen)] at the amounts of the disclosure in force.

    One exception: a published course whose fee items and quantities stay the same keeps
    the amounts it was published with (learners enrolled at that price; a later change of
    a fee item's standard does not silently reprice it, and it may keep an item since
    withdrawn)."""
    items = {f.id: f for f in base.fee_items}
    chosen: list[tuple[FeeItem, int]] = []
    seen = set()
    for li in data.fee_lines:
        qty = li.quantity
        item = items.get(li.fee_item_id)
        if item is None or li.fee_item_id in seen:
            raise DomainError(_("Choose fee items from your base's declared fee items."), field="fee_lines")
        seen.add(li.fee_item_id)
        chosen.append((item, qty))
    kept = {(line.fee_item_id, line.quantity): line.amount_fen for line in course.fee_lines}
    unchanged = course.status == CourseStatus.PUBLISHED and set(kept) == {(i.id, q) for i, q in chosen}
    if not unchanged:
        for item, _q in chosen:
            if not item.active:
                raise DomainError(_("The fee item “%(name)s” has been withdrawn from your disclosure.",
                                    name=item.name), field="fee_lines")
    lines = [(item, qty, kept[(item.id, qty)] if unchanged else item.amount_fen * qty) for item, qty in chosen]
    total = sum(amount for _i, _q, amount in lines)
    declared = data.price_fen
    if declared is not None:
        if lines and declared != total:
            raise DomainError(_("The price does not equal the sum of the fee items chosen."), field="price")
        if not lines and declared > 0:
            match = next((f for f in base.fee_items if f.active and f.amount_fen == declared), None)
            if match is None:
                raise DomainError(_("This price matches none of the base's declared fee items. Declare the fee "
                                    "item in the disclosure first."), field="price")
            lines.append((match, 1, match.amount_fen))
    return lines


def _resolve_rooms(base: TrainingBase, ids: set[int]) -> dict[int, Room]:
    rooms = {}
    for loc in base.locations:
        for r in loc.rooms:
            rooms[r.id] = r
    unknown = [i for i in ids if i not in rooms or not rooms[i].active or not rooms[i].location.active]
    if unknown:
        raise DomainError(_("Choose a room of your base's declared locations."), field="room_id")
    return rooms


def _check_overlaps(course: Course, sessions: list[SessionInput]) -> None:
    """No two sessions of this course at once; no two courses in one room at once."""
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    for a, b in itertools.pairwise(ordered):
        if b.starts_at < a.ends_at:
            raise DomainError(_("Two sessions of this course overlap (%(a)s and %(b)s).",
                                a=a.starts_at.strftime("%Y-%m-%d %H:%M"), b=b.starts_at.strftime("%Y-%m-%d %H:%M")),
                              field="sessions")
    conds = [sa.and_(CourseSession.room_id == s.room_id, CourseSession.starts_at < s.ends_at,
                     CourseSession.ends_at > s.starts_at) for s in sessions if s.room_id]
    if not conds:
        return
    stmt = (sa.select(CourseSession.starts_at, CourseSession.ends_at, Course.title, Room.name)
            .join(Course, Course.id == CourseSession.course_id).join(Room, Room.id == CourseSession.room_id)
            .where(sa.or_(*conds), Course.status != CourseStatus.CANCELLED).limit(1))
    if course.id is not None:
        stmt = stmt.where(Course.id != course.id)
    clash = db.session.execute(stmt).first()
    if clash is not None:
        raise DomainError(
            _("Room %(room)s is already booked from %(start)s to %(end)s by the course “%(title)s”.",
              room=clash.name, start=clash.starts_at.strftime("%Y-%m-%d %H:%M"),
              end=clash.ends_at.strftime("%H:%M"), title=clash.title),
            field="sessions")


def _place(base: TrainingBase, f: inputs.CourseFields) -> tuple[dict[int, Room], int | None]:
    """The rooms the course uses (all declared by its base) and its location."""
    ids = {s.room_id for s in f.sessions if s.room_id} | ({f.room_id} if f.room_id else set())
    rooms = _resolve_rooms(base, ids)
    if f.mode == CourseMode.IN_PERSON and f.room_id is None:
        raise DomainError(_("An in-person course needs a teaching location and room."), field="room_id")
    return rooms, (rooms[f.room_id].location_id if f.room_id else None)


def _hours(base: TrainingBase, f: inputs.CourseFields) -> Decimal:
    """Art. 17: an in-person course at most its days × 6 h (8 h as high-level talent
    training at a designated base); an online course declares its hours."""
    if f.is_talent_training and not base.is_talent_base:
        raise DomainError(_("Only a designated city high-level talent training base may run courses as "
                            "high-level talent training (8 hours a day)."), field="is_talent_training")
    if f.mode == CourseMode.ONLINE:
        return f.hours
    limit = default_hours(f.sessions, f.is_talent_training)
    if f.hours is not None and f.hours > limit:
        raise DomainError(_("At most %(max)s hours: %(days)s days × %(rate)s hours a day (Art. 17). A base may "
                            "declare fewer hours, never more.", max=limit, days=training_days(f.sessions),
                            rate=TALENT_HOURS_PER_DAY if f.is_talent_training else HOURS_PER_DAY), field="hours")
    return f.hours if f.hours is not None else limit


def _teachers(course: Course, base: TrainingBase, ids: list[int]) -> list:
    by_id = {t.id: t for t in base.teachers}
    current = {t.id for t in course.teachers}
    if any(t not in by_id or (not by_id[t].active and t not in current) for t in ids):
        raise DomainError(_("Choose teachers from your base's list."), field="teacher_ids")
    return [by_id[t] for t in ids]


def _capacity(course: Course, f: inputs.CourseFields, rooms: dict[int, Room]) -> int:
    if f.capacity < course.seats_taken:
        raise DomainError(_("Seats already taken: %(n)s. The capacity cannot be lower.", n=course.seats_taken),
                          field="capacity")
    if f.mode == CourseMode.IN_PERSON and f.capacity > rooms[f.room_id].seats:
        raise DomainError(_("The room has %(n)s seats: the capacity cannot be higher.", n=rooms[f.room_id].seats),
                          field="capacity")
    return f.capacity


def _window(f: inputs.CourseFields, now_: datetime) -> tuple[datetime, datetime]:
    first = f.sessions[0].starts_at
    opens = f.enroll_opens_at or min(now_, first - timedelta(minutes=1))
    closes = f.enroll_closes_at or first
    if closes > first:
        raise DomainError(_("Enrollment must close before the first session starts."), field="enroll_closes_at")
    if opens >= closes:
        raise DomainError(_("Enrollment must open before it closes."), field="enroll_opens_at")
    return opens, closes


def _apply(course: Course, base: TrainingBase, data: CourseInput, now_: datetime) -> set[str]:
    """Validate ``data`` completely (on its own, then against the base), then write it to
    ``course``. Returns the terms learners enrolled for that changed (price, schedule,
    location, hours cut)."""
    f = inputs.check(asdict(data))
    fee_lines = _resolve_fee_lines(course, base, f)
    price_fen = sum(a for _i, _q, a in fee_lines)
    sessions = [SessionInput(s.starts_at, s.ends_at, s.room_id, s.topic) for s in f.sessions]
    rooms, location_id = _place(base, f)
    _check_overlaps(course, sessions)
    hours = _hours(base, f)
    if not data.confirm_unusual_price and not (course.id and course.price_fen == price_fen):
        _check_usual_price(course, base, price_fen)
    teachers = _teachers(course, base, f.teacher_ids)
    capacity = _capacity(course, f, rooms)
    opens, closes = _window(f, now_)

    # ---- everything is valid: write
    old = (course.price_fen if course.id else None, [(s.starts_at, s.ends_at, s.room_id) for s in course.sessions],
           course.location_id, course.room_id, course.hours if course.id else None)
    course.title, course.category, course.mode = f.title, f.category, f.mode
    course.profession_series, course.staff_levels = f.profession_series, f.staff_levels
    course.price_fen, course.hours, course.is_talent_training = price_fen, hours, f.is_talent_training
    course.capacity, course.enroll_opens_at, course.enroll_closes_at = capacity, opens, closes
    course.refund_policy, course.refund_cutoff_hours = f.refund_policy, f.refund_cutoff_hours
    course.description_md = f.description_md
    course.description_html = render_description(f.description_md)
    course.location_id, course.room_id = location_id, f.room_id
    course.teachers = teachers
    _write_fee_lines(course, fee_lines)
    _write_sessions(course, sessions)
    course.first_session_at = sessions[0].starts_at
    course.last_session_at = max(s.ends_at for s in sessions)
    course.search_text = build_search_text(course)
    if course.id is None:
        return set()
    new = (price_fen, [(s.starts_at, s.ends_at, s.room_id) for s in sessions], location_id, f.room_id)
    changed = {name for name, was, now in (("price", old[0], new[0]), ("schedule", old[1], new[1]),
                                           ("location", old[2:4], new[2:4])) if was != now}
    if old[4] is not None and hours < old[4]:
        changed.add("hours")  # learners enrolled for the hours they need
    return changed


def build_search_text(course: Course) -> str:
    """Title + description text + teacher names: what keyword search looks in."""
    return "\n".join([course.title, plain_text(course.description_html)] + [t.name for t in course.teachers])


def refresh_search_text_for_teacher(teacher_id: int) -> int:
    """A teacher was renamed: rebuild the search text of the courses they teach."""
    courses = db.session.scalars(
        sa.select(Course).join(course_teacher, course_teacher.c.course_id == Course.id)
        .where(course_teacher.c.teacher_id == teacher_id).options(selectinload(Course.teachers))).all()
    for c in courses:
        c.search_text = build_search_text(c)
    return len(courses)


def published_prices(base_id: int, exclude_course_id: int | None = None) -> list[int]:
    """The prices of the base's published (or past) priced courses."""
    return list(db.session.scalars(sa.select(Course.price_fen).where(
        Course.base_id == base_id, Course.status.in_([CourseStatus.PUBLISHED, CourseStatus.CLOSED]),
        Course.price_fen > 0, Course.id != (exclude_course_id or 0))))


def _check_usual_price(course: Course, base: TrainingBase, price_fen: int) -> None:
    """A price far above the base's usual ones is saved only once confirmed: 50 typed as the
    quantity of a ¥200 item, meaning ¥50, makes a ¥10,000 course."""
    peers = published_prices(base.id, course.id)
    if unusual_price_limit(price_fen, peers) is None:
        return
    raise DomainError(_("%(price)s is more than %(n)s times the dearest course %(base)s has published "
                        "(%(dearest)s). Check the quantities of the fee items; if the price is right, tick the "
                        "box and save again.", price=format_yuan(price_fen), n=UNUSUAL_PRICE_FACTOR,
                        base=base.name, dearest=format_yuan(max(peers))), field="confirm_price",
                      code="unusual_price")


def _write_fee_lines(course: Course, lines: list[tuple[FeeItem, int, int]]) -> None:
    existing = {(li.fee_item_id, li.quantity): li for li in course.fee_lines}
    keep = []
    for item, qty, amount in lines:
        line = existing.pop((item.id, qty), None)
        if line is None:
            line = CourseFeeLine(fee_item_id=item.id, quantity=qty, amount_fen=amount)
            line.fee_item = item
        keep.append(line)
    course.fee_lines = keep


def _write_sessions(course: Course, sessions: list[SessionInput]) -> None:
    """Update sessions in place (attendance refers to them); drop the surplus ones."""
    old = sorted(course.sessions, key=lambda s: s.starts_at)
    surplus = old[len(sessions):]
    if surplus and any(s.id for s in surplus):
        # a domain holding records of these sessions (attendance) refuses here
        publish(SessionsRemoved(course.id, tuple(s.id for s in surplus if s.id)))
    for i, s in enumerate(sessions):
        if i < len(old):
            row = old[i]
        else:
            row = CourseSession()
            course.sessions.append(row)
        row.starts_at, row.ends_at, row.room_id, row.topic = s.starts_at, s.ends_at, s.room_id, (s.topic or "")[:200]
    for row in surplus:
        course.sessions.remove(row)


def change_field_titles() -> dict[str, str]:
    """What a ``CourseChange`` changed, in the reader's language."""
    return {"price": _("price"), "schedule": _("schedule"), "location": _("location"), "hours": _("hours"),
            "status": _("cancelled")}


# ---------------------------------------------------------------- commands
def create_course(base: TrainingBase, data: CourseInput, actor_id: int | None = None,
                  now: datetime | None = None) -> Course:
    """A new draft course of ``base`` (publish it with ``publish_course``)."""
    now_ = now or _now()
    base = load_disclosure(base.id)
    course = Course(base_id=base.id, status=CourseStatus.DRAFT, seats_taken=0)
    course.teachers = []
    course.sessions = []
    course.fee_lines = []
    _apply(course, base, data, now_)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, data: CourseInput, actor_id: int | None = None,
                  now: datetime | None = None) -> Course:
    """Edit a draft or published course. After enrollments began, a change of price,
    schedule or location needs a reason, is recorded and notified to each learner."""
    if course.status not in (CourseStatus.DRAFT, CourseStatus.PUBLISHED):
        raise DomainError(_("A closed or cancelled course can no longer be changed."), field="title")
    now_ = now or _now()
    base = load_disclosure(course.base_id)
    old_terms = ({(li.fee_item_id, li.quantity, li.amount_fen) for li in course.fee_lines}, course.room_id)
    with db.session.no_autoflush:
        changed = _apply(course, base, data, now_)
    reason = (data.change_reason or "").strip()
    if changed:
        db.session.flush()
        # learners who enrolled must be given a reason, and are told (the enrollment domain)
        publish(CourseChanged(course.id, tuple(sorted(changed)), reason[:2000], now_))
        if reason:
            db.session.add(CourseChange(course_id=course.id, fields=sorted(changed), reason=reason[:2000],
                                        actor_id=actor_id, at=now_))
    if course.status == CourseStatus.PUBLISHED:
        publish(CourseReadyCheck(course.id, "hours"))  # an online course's lessons still carry its hours
    new_terms = ({(li.fee_item_id, li.quantity, li.amount_fen) for li in course.fee_lines}, course.room_id)
    if course.status == CourseStatus.PUBLISHED and new_terms != old_terms:
        # fees and place now come from the disclosure in force: point to it (Art. 22)
        course.disclosure_version_id = _version_in_force(base, actor_id).id
    db.session.flush()
    return course


def _version_in_force(base: TrainingBase, actor_id: int | None):
    """The latest disclosure version, or a new one if the working copy has moved on
    without a version (every service records one; a script or a hand edit might not)."""
    dv = current_disclosure(base.id)
    if dv is None or dv.snapshot != snapshot_of(base):
        dv = record_disclosure_version(base, actor_id, "publish")
    return dv


def _withdrawn_parts(course: Course) -> list[str]:
    """Names of the fee items, teachers and rooms a course uses that are no longer declared."""
    names = [li.fee_item.name for li in course.fee_lines if not li.fee_item.active]
    names += [t.name for t in course.teachers if not t.active]
    rooms = {s.room for s in course.sessions if s.room is not None} | ({course.room} if course.room else set())
    names += [r.name for r in sorted(rooms, key=lambda r: r.id) if not (r.active and r.location.active)]
    return names


def publish_course(course: Course, actor_id: int | None = None, now: datetime | None = None) -> Course:
    """draft → published, pinned to the disclosure version in force (Art. 22)."""
    if course.status != CourseStatus.DRAFT:
        raise DomainError(_("Only a draft can be published."), field="status")
    base = load_disclosure(course.base_id)
    message = disclosure_incomplete_message(base)
    if message:
        raise DomainError(message, field="status")
    if not base.is_open:
        raise DomainError(_("This base is not certified at the moment and cannot publish courses."),
                          field="status")
    now_ = now or _now()
    if course.enroll_closes_at <= now_:
        raise DomainError(_("Enrollment for this course closed on %(when)s. Edit the schedule and the enrollment "
                            "dates, then publish.", when=course.enroll_closes_at.strftime("%Y-%m-%d %H:%M")),
                          field="status")
    withdrawn = _withdrawn_parts(course)
    if withdrawn:
        raise DomainError(_("This course uses what your disclosure no longer declares: %(names)s. Edit the course, "
                            "then publish.", names=join_list(withdrawn)), field="status")
    publish(CourseReadyCheck(course.id, "status"))  # other domains' rules (online lessons)
    # a draft is priced at the fee standards in force when it is published
    for line in course.fee_lines:
        line.amount_fen = line.fee_item.amount_fen * line.quantity
    course.price_fen = sum(line.amount_fen for line in course.fee_lines)
    dv = _version_in_force(base, actor_id)
    course.status = CourseStatus.PUBLISHED
    course.disclosure_version_id = dv.id
    course.published_at = now_
    db.session.flush()
    return course


def close_course(course: Course, actor_id: int | None = None) -> Course:
    """published → closed: no more enrollments; enrolled learners keep their seats."""
    if course.status != CourseStatus.PUBLISHED:
        raise DomainError(_("Only a published course can be closed."), field="status")
    course.status = CourseStatus.CLOSED
    db.session.flush()
    return course


def cancel_course(course: Course, reason: str, actor_id: int | None) -> Course:
    """Cancel a course: learners are told why, and the enrollment domain refunds them."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for cancelling the course; enrolled learners will read it."),
                          field="reason")
    if course.status == CourseStatus.CANCELLED:
        raise DomainError(_("This course is already cancelled."), field="reason")
    course.status = CourseStatus.CANCELLED
    course.cancelled_reason = reason[:2000]
    db.session.add(CourseChange(course_id=course.id, fields=["status"], reason=reason[:2000], actor_id=actor_id,
                                at=_now()))
    db.session.flush()
    # the enrollment domain cancels and refunds every enrollment, one notice per learner
    publish(CourseCancelled(course.id, actor_id, course.cancelled_reason, _now()))
    db.session.flush()
    return course


def _now() -> datetime:
    return now()


# a room's location, for forms and imports
def room_label(room: Room) -> str:
    return f"{room.location.name} · {room.name} ({room.seats})"


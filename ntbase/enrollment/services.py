"""Enrollment: seats, holds, the waitlist, cancellation and refunds. Services flush only.

Seats are counted by the catalog's seat counter (``ntbase.catalog.seats``: atomic
conditional UPDATEs of ``Course.seats_taken``). A freed seat passes straight to the first
learner on the waitlist (as a time-limited offer) or back to the pool. Completion
(``complete``) is the one way an enrollment is completed, whatever the course's mode; it
publishes ``EnrollmentCompleted``, which issues the certificate and credits the hours.
"""
from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ntbase.accounts.models import User
from ntbase.accounts.services import find_learner_by_id_number, parse_id_number
from ntbase.bases.models import TrainingBase
from ntbase.bases.services import join_list
from ntbase.catalog import seats
from ntbase.catalog import services as catalog
from ntbase.catalog.models import Course, CourseStatus
from ntbase.enrollment.events import (
    EnrollmentCancelled,
    EnrollmentCompleted,
    EnrollmentCompleting,
    EnrollmentConfirmed,
    EnrollmentOffered,
    EnrollmentRefunded,
    EnrollmentWaitlisted,
)
from ntbase.enrollment.models import (
    LIVE_STATES,
    SEAT_STATES,
    Enrollment,
    EnrollmentGroup,
    EnrollmentState,
)
from ntbase.enrollment.states import (
    ALLOWED,
    ConcurrentChange,
    IllegalTransition,
    record,
    transition,
)
from ntbase.kernel.db import db, read_rows
from ntbase.kernel.db import now as db_now
from ntbase.kernel.enums import CertificationStatus, Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish
from ntbase.kernel.jobs import enqueue_after_commit
from ntbase.notifications import services as notifications
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentIntent, PaymentLine, PaymentState, Refund
from ntbase.payments.states import PAID_STATES

__all__ = ["ALLOWED", "IllegalTransition", "ConcurrentChange", "transition", "enroll_learner",
           "accept_offer", "start_payment", "cancel_enrollment", "cancellation_terms", "sweep_expired",
           "on_course_cancelled", "on_payment_succeeded", "complete", "manual_enroll", "staff_refund",
           "retry_failed_refund", "failed_refunds", "base_enrollments_by_month", "learner_enrollments", "roster",
           "base_figures", "live_enrollment", "get_enrollment", "waitlist_position", "waitlist_positions",
           "seat_holders", "hold_group", "start_group_payment", "on_group_payment_succeeded", "cancel_group_member",
           "group_members", "get_group"]

log = logging.getLogger(__name__)
S = EnrollmentState
# states a learner or base can still cancel out of
CANCELLABLE = (S.WAITLISTED, S.OFFERED, S.HELD, S.CONFIRMED)


def hold_minutes() -> int:
    return int(current_app.config.get("HOLD_MINUTES", 15))


def offer_minutes() -> int:
    return int(current_app.config.get("OFFER_MINUTES", 60 * 24))


# --- seats -------------------------------------------------------------------------

def seat_holders(course_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == course_id, Enrollment.state.in_(SEAT_STATES))) or 0


# --- pure rules ----------------------------------------------------------------------

@dataclass(frozen=True)
class CancelTerms:
    allowed: bool
    refund_fen: int = 0
    deadline: datetime | None = None
    reason: str = ""  # code: started / final / late (cancel without refund)


def refund_deadline(first_session_at: datetime | None, cutoff_hours: int) -> datetime | None:
    return first_session_at - timedelta(hours=cutoff_hours) if first_session_at else None


def cancellation_terms(state: EnrollmentState, paid_fen: int, first_session_at: datetime | None,
                       cutoff_hours: int, now: datetime) -> CancelTerms:
    """What cancelling now means: allowed at all, and how much comes back.

    NTBase's rule: until ``cutoff_hours`` before the first session a paid seat is refunded
    in full; after that the learner may still give the seat up (it goes to the waitlist)
    but gets nothing back; once the course has started nobody cancels online.
    """
    deadline = refund_deadline(first_session_at, cutoff_hours)
    if state not in CANCELLABLE:
        return CancelTerms(False, deadline=deadline, reason="final")
    if state == S.CONFIRMED and first_session_at is not None and now >= first_session_at:
        return CancelTerms(False, deadline=deadline, reason="started")
    if paid_fen <= 0:
        return CancelTerms(True, 0, deadline)
    if deadline is None or now <= deadline:
        return CancelTerms(True, paid_fen, deadline)
    return CancelTerms(True, 0, deadline, reason="late")


# --- queries ------------------------------------------------------------------------

def live_enrollment(course_id: int, learner_id: int) -> Enrollment | None:
    return db.session.scalar(sa.select(Enrollment).where(
        Enrollment.course_id == course_id, Enrollment.learner_id == learner_id,
        Enrollment.state.in_(LIVE_STATES)))


@dataclass(frozen=True)
class BoxBase:
    is_open: bool


@dataclass(frozen=True)
class BoxCourse:
    """What the enroll box of the course page (``catalog/_enroll_action.html``) and the
    enrollment page's form (``enrollment/_enroll_form.html``) read of a course, by the names
    ``Course`` gives them: the shared templates take either."""

    id: int
    status: CourseStatus
    enroll_opens_at: datetime
    enroll_closes_at: datetime
    seats_left: int
    price_fen: int
    base: BoxBase


@dataclass(frozen=True)
class BoxEnrollment:
    id: int
    state: EnrollmentState


def enroll_box(course_id: int, learner_id: int) -> tuple[BoxCourse | None, BoxEnrollment | None]:
    """The course's enrollment window and seats, its base's certification and the learner's
    live enrollment in it: one statement, columns not ORM objects, and no transaction opened
    for it (``kernel.db.read_rows``). The enroll box of a cached course page, filled per
    learner on every view."""
    rows = read_rows(_enroll_box_statement(), {"cid": course_id, "lid": learner_id})
    if not rows:
        return None, None
    cid, status, opens, closes, capacity, taken, price_fen, base_status, eid, state = rows[0]
    course = BoxCourse(cid, status, opens, closes, max(capacity - taken, 0), price_fen,
                       BoxBase(base_status == CertificationStatus.CERTIFIED))
    return course, (BoxEnrollment(eid, state) if eid is not None else None)


@functools.cache
def _enroll_box_statement() -> sa.Select:
    return (sa.select(Course.id, Course.status, Course.enroll_opens_at, Course.enroll_closes_at, Course.capacity,
                      Course.seats_taken, Course.price_fen, TrainingBase.status, Enrollment.id, Enrollment.state)
            .select_from(Course).join(TrainingBase, TrainingBase.id == Course.base_id)
            .outerjoin(Enrollment, sa.and_(Enrollment.course_id == Course.id,
                                           Enrollment.learner_id == sa.bindparam("lid"),
                                           Enrollment.state.in_(LIVE_STATES)))
            .where(Course.id == sa.bindparam("cid")).limit(1))


def _waitlist_length(course_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == course_id, Enrollment.state == S.WAITLISTED)) or 0


def waitlist_position(enrollment: Enrollment) -> int | None:
    if enrollment.state != S.WAITLISTED:
        return None
    ahead = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == enrollment.course_id, Enrollment.state == S.WAITLISTED,
        sa.tuple_(Enrollment.waitlisted_at, Enrollment.id) < sa.tuple_(enrollment.waitlisted_at, enrollment.id),
    )) or 0
    return ahead + 1


def checkin_token(enrollment: Enrollment) -> str:
    """The opaque token of the learner's check-in QR, given to every enrollment when created."""
    return enrollment.checkin_token


def get_enrollment(enrollment_id: int) -> Enrollment | None:
    return db.session.get(Enrollment, enrollment_id)


def learner_enrollments(learner_id: int) -> list[Enrollment]:
    """Everything "my courses" shows, in a fixed number of statements."""
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.learner_id == learner_id)
        .options(joinedload(Enrollment.course).joinedload(Course.base),
                 joinedload(Enrollment.course).selectinload(Course.sessions),
                 selectinload(Enrollment.payments).selectinload(PaymentIntent.refunds),
                 selectinload(Enrollment.payment_lines).joinedload(PaymentLine.payment),
                 joinedload(Enrollment.group))
        .order_by(Enrollment.id.desc())
    ).unique().all()


def confirmed_enrollments_of(learner_id: int) -> list[Enrollment]:
    """A learner's confirmed enrollments with course and base (check-in QR codes)."""
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.learner_id == learner_id, Enrollment.state == S.CONFIRMED)
        .options(selectinload(Enrollment.course).selectinload(Course.base)).order_by(Enrollment.id.desc())).all()


def waitlist_positions(enrollments: list[Enrollment]) -> dict[int, int]:
    """Position of each waitlisted enrollment in its course's queue, in one statement."""
    waiting = [e for e in enrollments if e.state == S.WAITLISTED]
    if not waiting:
        return {}
    course_ids = {e.course_id for e in waiting}
    rows = db.session.execute(
        sa.select(Enrollment.id, Enrollment.course_id).where(
            Enrollment.course_id.in_(course_ids), Enrollment.state == S.WAITLISTED)
        .order_by(Enrollment.course_id, Enrollment.waitlisted_at, Enrollment.id)
    ).all()
    positions, counter = {}, {}
    for eid, cid in rows:
        counter[cid] = counter.get(cid, 0) + 1
        positions[eid] = counter[cid]
    return positions


# --- telling learners (each change publishes its event; handlers.py sends the notice) -------

def my_courses_link() -> str | None:
    try:
        return url_for("enrollment.my_courses")
    except RuntimeError:  # no request (CLI sweep): a relative path still works in the notice
        return "/me/courses"


def has_enrollments(course_id: int) -> bool:
    """Anyone ever enrolled (in any state), so changes to the course concern somebody."""
    return bool(db.session.scalar(sa.select(sa.exists().where(Enrollment.course_id == course_id))))


def live_learner_ids(course_id: int) -> list[int]:
    """Learners with a live enrollment (waiting, holding, confirmed or completed)."""
    return db.session.scalars(sa.select(Enrollment.learner_id).where(
        Enrollment.course_id == course_id, Enrollment.state.in_(LIVE_STATES)).distinct()).all()


def notify_enrolled(course: Course, kind: str, **context) -> int:
    """One notice (and the deliveries they chose) for each learner enrolled in ``course``,
    each in their own language whatever language the staff member uses."""
    return notifications.notify_many(live_learner_ids(course.id), kind, link=f"/courses/{course.id}",
                                     course_title=course.title, **context)


def tell_of_course_change(course: Course, fields: tuple[str, ...], reason: str) -> int:
    """The base changed price, schedule, place or hours: learners who enrolled must be
    given a reason, and each is told in their language."""
    if not has_enrollments(course.id) and course.seats_taken == 0:
        return 0
    if not reason:
        raise DomainError(_("Learners have enrolled: give a reason for changing the price, schedule or "
                            "place, or for cutting the hours. Each of them will be notified."),
                          field="change_reason")

    def what() -> str:  # called in each learner's language
        names = catalog.change_field_titles()
        return join_list(names[f] for f in ("price", "schedule", "location", "hours") if f in fields)

    return notify_enrolled(course, "course_changed", what=what, reason=reason)


# --- enroll ---------------------------------------------------------------------------

def check_open_for_enrollment(course: Course, now: datetime) -> None:
    base = db.session.get(TrainingBase, course.base_id)
    problem = closed_reason(course.status, base is not None and base.status == CertificationStatus.CERTIFIED,
                            course.enroll_opens_at, course.enroll_closes_at, now)
    if problem is not None:
        raise problem


def closed_reason(status: CourseStatus, base_certified: bool, opens_at: datetime, closes_at: datetime,
                  now: datetime) -> DomainError | None:
    """Why a course takes no enrollment now (None: it does), from its status, its base's
    certification and its enrollment window."""
    if status == CourseStatus.CANCELLED:
        return DomainError(_("This course has been cancelled and takes no enrollments."), code="cancelled")
    if status != CourseStatus.PUBLISHED:
        return DomainError(_("This course is not open for enrollment."), code="not_published")
    if not base_certified:
        return DomainError(_("This training base is not certified at present and takes no enrollments."),
                           code="base_not_certified")
    if now < opens_at:
        return DomainError(_("Enrollment opens on %(when)s.", when=opens_at.strftime("%Y-%m-%d %H:%M")), code="window")
    if now > closes_at:
        return DomainError(_("Enrollment closed on %(when)s.", when=closes_at.strftime("%Y-%m-%d %H:%M")),
                           code="window")
    return None


def duplicate_message() -> str:
    return _("You are already enrolled in this course. See “My courses”.")


def enroll_learner(course: Course, learner: User, actor: User | None = None, now: datetime | None = None,
                   *, source: str = "self") -> Enrollment:
    """Take a seat (confirmed if free, held while paying), or join the waitlist when full.

    ``source="manual"``: a base enrolls a learner (e.g. an employer's group); a paid seat is
    then reserved as an offer the learner accepts and pays, so a confirmed paid enrollment
    always has a payment behind it.
    """
    now = now or db_now()
    actor_id = actor.id if actor is not None else learner.id
    if learner.role != Role.LEARNER or learner.profile is None:
        raise DomainError(_("Only learner accounts can enroll in courses."), code="not_learner")
    check_open_for_enrollment(course, now)
    sweep_expired(now, course_id=course.id)
    if live_enrollment(course.id, learner.id) is not None:
        if source == "manual":
            raise DomainError(_("This learner is already enrolled in this course."), field="id_number",
                              code="duplicate")
        raise DomainError(duplicate_message(), code="duplicate")

    enrollment = Enrollment(course_id=course.id, learner_id=learner.id, price_fen=course.price_fen,
                            disclosure_version_id=course.disclosure_version_id, source=source,
                            enrolled_by_id=actor.id if actor is not None and actor.id != learner.id else None,
                            checkin_token=secrets.token_urlsafe(24), created_at=now, updated_at=now)
    # nobody jumps the queue: while anyone waits, newcomers wait behind them
    if _waitlist_length(course.id) == 0 and seats.take_seat(course.id):
        if course.price_fen == 0:
            enrollment.state, enrollment.confirmed_at = S.CONFIRMED, now
        elif source == "manual":
            enrollment.state = S.OFFERED
            enrollment.offer_expires_at = _offer_deadline(course, now)
        else:
            enrollment.state = S.HELD
            enrollment.hold_expires_at = now + timedelta(minutes=hold_minutes())
    else:
        enrollment.state, enrollment.waitlisted_at = S.WAITLISTED, now
    db.session.add(enrollment)
    db.session.flush()  # the partial unique index refuses a second live enrollment here
    record(enrollment, None, enrollment.state, actor_id,
           "manual enrollment by base staff" if source == "manual" else "enrolled", now)
    if enrollment.state == S.HELD:
        _create_intent(enrollment, actor_id, now)
    _expire_on_time(enrollment)
    _publish_new_state(enrollment, "base" if source == "manual" else "learner", now)
    return enrollment


def _publish_new_state(enrollment: Enrollment, by: str, at: datetime) -> None:
    e = enrollment
    if e.state == S.CONFIRMED:
        publish(EnrollmentConfirmed(e.id, e.learner_id, e.course_id, at, by=by))
    elif e.state == S.OFFERED:
        publish(EnrollmentOffered(e.id, e.learner_id, e.course_id, e.offer_expires_at, at, by=by))
    elif e.state == S.WAITLISTED:
        publish(EnrollmentWaitlisted(e.id, e.learner_id, e.course_id, at, by=by))


def _expire_on_time(enrollment: Enrollment) -> None:
    """Have the worker expire a hold or an offer the moment it runs out, with no page visit
    (the every-minute sweep is the safety net when the queue lost it)."""
    until = {S.HELD: enrollment.hold_expires_at, S.OFFERED: enrollment.offer_expires_at}.get(enrollment.state)
    if until is not None:
        enqueue_after_commit("enrollment.expire_lapsed", enrollment.course_id, at=until + timedelta(seconds=1))


def _offer_deadline(course: Course, now: datetime) -> datetime:
    deadline = now + timedelta(minutes=offer_minutes())
    if course.first_session_at is not None:
        deadline = min(deadline, course.first_session_at)
    return deadline


def _create_intent(enrollment: Enrollment, actor_id: int | None, now: datetime) -> PaymentIntent:
    course = db.session.get(Course, enrollment.course_id)
    attempt = payments.attempts_for(enrollment.id)
    return payments.create_payment(
        enrollment_id=enrollment.id, learner_id=enrollment.learner_id, amount_fen=enrollment.price_fen,
        idempotency_key=f"enrollment-{enrollment.id}-{attempt + 1}", expires_at=enrollment.hold_expires_at,
        actor_id=actor_id, description=f"{course.title} · {course.base.name}", return_path=my_courses_link(),
        at=now)


def hold_lapsed(enrollment: Enrollment, now: datetime | None = None) -> bool:
    """A held seat whose time ran out (the sweep frees it within a minute)."""
    return bool(enrollment.state == S.HELD and enrollment.hold_expires_at
                and enrollment.hold_expires_at < (now or db_now()))


def start_payment(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None) -> PaymentIntent:
    """The pending intent for a held seat (a new one after a failed or cancelled attempt)."""
    now = now or db_now()
    if enrollment.group_id is not None:
        raise DomainError(group_member_message(enrollment), code="group_member")
    if enrollment.state != S.HELD or (enrollment.hold_expires_at and enrollment.hold_expires_at < now):
        raise DomainError(_("This seat is no longer held for you. Enroll again to get a new seat."),
                          code="not_held")
    return payments.pending_intent(enrollment.id) or _create_intent(enrollment, actor_id, now)


def group_member_message(enrollment: Enrollment) -> str:
    group = enrollment.group
    return _("%(payer)s enrolled you and pays for this seat: ask them to change or cancel it.",
             payer=(group.payer_label if group is not None and group.payer_label else _("Your employer")))


def accept_offer(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None) -> Enrollment:
    """Take up an offered seat: held while paying, or confirmed at once for a free course."""
    now = now or db_now()
    if enrollment.state != S.OFFERED or (enrollment.offer_expires_at and enrollment.offer_expires_at < now):
        raise DomainError(_("This offer is no longer valid."), code="offer_gone")
    course = db.session.get(Course, enrollment.course_id)
    if course.status != CourseStatus.PUBLISHED:
        raise DomainError(_("This course is not open for enrollment."), code="not_published")
    if enrollment.price_fen == 0:
        transition(enrollment, S.CONFIRMED, actor_id, "offer accepted", now, confirmed_at=now)
        _publish_new_state(enrollment, "learner", now)
        return enrollment
    transition(enrollment, S.HELD, actor_id, "offer accepted", now,
               hold_expires_at=now + timedelta(minutes=hold_minutes()))
    _create_intent(enrollment, actor_id, now)
    _expire_on_time(enrollment)
    return enrollment


# --- payment outcome --------------------------------------------------------------------

def on_payment_succeeded(intent: PaymentIntent, at: datetime) -> str:
    """The provider took the money: confirm the seat, or give the money back.

    Never a payment without a seat: a held seat is confirmed; an expired hold is revived
    when a seat can still be taken; anything else is refunded in full at once.
    """
    enrollment = db.session.get(Enrollment, intent.enrollment_id)
    course = db.session.get(Course, enrollment.course_id)
    learner = db.session.get(User, enrollment.learner_id)
    if enrollment.state == S.HELD:
        transition(enrollment, S.CONFIRMED, None, "payment succeeded", at, confirmed_at=at)
        publish(EnrollmentConfirmed(enrollment.id, learner.id, course.id, at, by="payment",
                                    paid_fen=intent.amount_fen))
        return "enrollment confirmed"
    if (enrollment.state == S.EXPIRED and course.status == CourseStatus.PUBLISHED
            and live_enrollment(course.id, learner.id) is None and seats.take_seat(course.id)):
        transition(enrollment, S.CONFIRMED, None, "late payment; a seat was still free", at, confirmed_at=at)
        publish(EnrollmentConfirmed(enrollment.id, learner.id, course.id, at, by="payment",
                                    paid_fen=intent.amount_fen, late=True))
        return "enrollment confirmed (late payment)"
    payments.refund_remaining(intent, key=f"auto-{intent.id}", actor_id=None,
                              reason=f"no seat for this payment (enrollment {enrollment.state.value})", at=at)
    publish(EnrollmentRefunded(enrollment.id, learner.id, course.id, intent.amount_fen, at, by="no_seat"))
    return "refunded: no seat"


# --- freeing seats, the waitlist, the sweep ------------------------------------------------

def release_seat(course: Course, now: datetime) -> Enrollment | None:
    """A seat was given up: offer it to the first learner waiting, else return it to the pool."""
    started = course.first_session_at is not None and course.first_session_at <= now
    if course.status == CourseStatus.PUBLISHED and not started:
        while True:
            nxt = db.session.scalar(
                sa.select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.state == S.WAITLISTED)
                .order_by(Enrollment.waitlisted_at, Enrollment.id).limit(1)
                .with_for_update(skip_locked=True))
            if nxt is None:
                break
            try:
                transition(nxt, S.OFFERED, None, "a seat became free", now,
                           offer_expires_at=_offer_deadline(course, now))
            except ConcurrentChange:
                continue  # they cancelled meanwhile: try the next in line
            _expire_on_time(nxt)
            publish(EnrollmentOffered(nxt.id, nxt.learner_id, course.id, nxt.offer_expires_at, now, by="waitlist"))
            return nxt  # the seat passes straight on: the counter does not move
    seats.free_seats(course.id)
    return None


def offer_free_seats(course: Course, now: datetime) -> int:
    """Free seats while people wait (e.g. capacity was raised): offer them in order."""
    made = 0
    while _waitlist_length(course.id) and seats.take_seat(course.id):
        if release_seat(course, now) is None:
            break  # release_seat gave the seat back: nobody could take it
        made += 1
    return made


@dataclass
class SweepResult:
    expired_holds: int = 0
    expired_offers: int = 0
    offers_made: int = 0
    courses: set = field(default_factory=set)


def sweep_expired(now: datetime | None = None, *, course_id: int | None = None,
                  learner_id: int | None = None) -> SweepResult:
    """Expire unpaid holds and untaken offers, free their seats, offer them to the waitlist.

    Run by the worker (``enrollment.jobs``: when each hold or offer runs out, and every
    minute), by ``flask ntbase sweep-holds`` and lazily by the requests that change seats. Safe to run concurrently: each expiry is a compare-and-set.
    """
    now = now or db_now()
    res = SweepResult()
    stmt = sa.select(Enrollment).where(sa.or_(
        sa.and_(Enrollment.state == S.HELD, Enrollment.hold_expires_at < now),
        sa.and_(Enrollment.state == S.OFFERED, Enrollment.offer_expires_at < now),
    )).order_by(Enrollment.id)
    if course_id is not None:
        stmt = stmt.where(Enrollment.course_id == course_id)
    if learner_id is not None:
        stmt = stmt.where(Enrollment.learner_id == learner_id)
    groups: list[int] = []
    for enrollment in db.session.scalars(stmt).all():
        was_held = enrollment.state == S.HELD
        try:
            transition(enrollment, S.EXPIRED, None,
                       "hold expired without payment" if was_held else "offer not taken in time", now)
        except ConcurrentChange:
            continue
        if was_held:
            res.expired_holds += 1
            for intent in payments.payments_of(enrollment.id):
                payments.expire_payment(intent, now)
            if enrollment.group_id is not None and enrollment.group_id not in groups:
                groups.append(enrollment.group_id)
        else:
            res.expired_offers += 1
        course = db.session.get(Course, enrollment.course_id)
        if release_seat(course, now) is not None:
            res.offers_made += 1
        res.courses.add(course.id)
    for group_id in groups:
        _expire_group(group_id, now, res)
    if learner_id is None:
        # seats free while people wait (capacity raised, or freed by a cancelled course session)
        waiting = sa.select(Enrollment.course_id).where(Enrollment.state == S.WAITLISTED)
        if course_id is not None:
            waiting = waiting.where(Enrollment.course_id == course_id)
        for course in db.session.scalars(sa.select(Course).where(
                Course.id.in_(waiting), Course.seats_taken < Course.capacity,
                Course.status == CourseStatus.PUBLISHED)).all():
            res.offers_made += offer_free_seats(course, now)
    return res


def _expire_group(group_id: int, now: datetime, res: SweepResult) -> None:
    """A group's holds expire together: whichever member the sweep met first, the others
    (they share the deadline) and the group's unpaid payment go with it."""
    for member in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.group_id == group_id, Enrollment.state == S.HELD).order_by(Enrollment.id)).all():
        try:
            transition(member, S.EXPIRED, None, "group hold expired without payment", now)
        except ConcurrentChange:
            continue
        res.expired_holds += 1
        if release_seat(db.session.get(Course, member.course_id), now) is not None:
            res.offers_made += 1
    for intent in payments.group_payments(group_id):
        payments.expire_payment(intent, now, "group hold expired")


# --- cancelling -------------------------------------------------------------------------------

def terms_for(enrollment: Enrollment, now: datetime | None = None) -> CancelTerms:
    course = enrollment.course
    return cancellation_terms(enrollment.state, enrollment.paid_fen, course.first_session_at,
                              course.refund_cutoff_hours, now or db_now())


def _allowed_terms(enrollment: Enrollment, now: datetime) -> CancelTerms:
    terms = terms_for(enrollment, now)
    if not terms.allowed:
        if terms.reason == "started":
            raise DomainError(_("The course has already started; please contact the base to withdraw."),
                              code="started")
        raise DomainError(_("This enrollment can no longer be cancelled."), code="final")
    return terms


def cancel_enrollment(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None,
                      reason: str = "cancelled by the learner") -> CancelTerms:
    """The learner gives the seat up, under the course's refund rule (see ``cancellation_terms``)."""
    now = now or db_now()
    if enrollment.group_id is not None:
        # the payer decides and gets the money back: see cancel_group_member
        raise DomainError(group_member_message(enrollment), code="group_member")
    terms = _allowed_terms(enrollment, now)
    had_seat = enrollment.holds_seat
    transition(enrollment, S.CANCELLED, actor_id, reason, now, cancelled_at=now)
    for intent in payments.payments_of(enrollment.id):
        if intent.state == PaymentState.PENDING:
            payments.cancel_payment(intent, actor_id, "enrollment cancelled", now)
        elif terms.refund_fen:
            payments.refund_remaining(intent, key=f"cancel-{enrollment.id}-{intent.id}", actor_id=actor_id,
                                      reason="cancelled before the refund deadline", at=now)
    if had_seat:
        release_seat(db.session.get(Course, enrollment.course_id), now)
    publish(EnrollmentCancelled(enrollment.id, enrollment.learner_id, enrollment.course_id, terms.refund_fen, now,
                                by="learner"))
    return terms


def on_course_cancelled(course: Course, actor_id: int | None, now: datetime | None = None) -> int:
    """The base cancelled ``course``: cancel every live enrollment, refund all money, tell everyone.

    Called by the catalog's ``cancel_course``. Returns the number of enrollments cancelled.
    """
    now = now or db_now()
    rows = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.state.in_(CANCELLABLE))
        .options(selectinload(Enrollment.payments), joinedload(Enrollment.learner),
                 selectinload(Enrollment.payment_lines).joinedload(PaymentLine.payment), joinedload(Enrollment.group))
        .order_by(Enrollment.id)
    ).unique().all()
    held_seats = 0
    for enrollment in rows:
        held_seats += 1 if enrollment.holds_seat else 0
        transition(enrollment, S.CANCELLED, actor_id, "course cancelled by the base", now, cancelled_at=now)
        refunded = 0
        for intent in enrollment.payments:  # loaded above; the same objects the refunds update
            if intent.state == PaymentState.PENDING:
                payments.cancel_payment(intent, actor_id, "course cancelled", now)
            else:
                refund = payments.refund_remaining(intent, key=f"course-cancel-{intent.id}", actor_id=actor_id,
                                                   reason="course cancelled by the base", at=now)
                refunded += refund.amount_fen if refund else 0
        for line in enrollment.payment_lines:  # an employer's group payment: its share goes back to the employer
            if line.payment.state == PaymentState.PENDING:
                payments.cancel_payment(line.payment, actor_id, "course cancelled", now)
            else:
                refund = payments.refund_line(line, key=f"course-cancel-{line.payment_id}-l{line.id}",
                                              actor_id=actor_id, reason="course cancelled by the base", at=now)
                refunded += refund.amount_fen if refund else 0
        publish(EnrollmentCancelled(enrollment.id, enrollment.learner_id, course.id, refunded, now, by="course",
                                    reason=course.cancelled_reason or "", payer=enrollment.paid_by or ""))
    seats.free_seats(course.id, held_seats)
    return len(rows)


# --- base side ------------------------------------------------------------------------------

def refundable_fen(enrollment: Enrollment) -> int:
    """Money paid for ``enrollment`` that has not been given back yet."""
    return sum(p.amount_fen - p.refunded_fen for p in payments.payments_of(enrollment.id)
               if p.state in PAID_STATES) + sum(line.amount_fen - line.refunded_fen
                                                for line in payments.lines_of(enrollment.id)
                                                if line.payment.state in PAID_STATES)


def staff_refund(enrollment: Enrollment, amount_fen: int, reason: str, *, key: str, staff: User,
                 now: datetime | None = None) -> int:
    """Base staff give back part (or all) of what a learner paid, e.g. a goodwill refund after
    the deadline under the base's own published policy. The enrollment keeps its state.

    ``key`` comes from the form (one per page load): a double submit refunds once. Returns
    the amount refunded by this call (0 when the same key was already used).
    """
    now = now or db_now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for this refund; the learner will read it."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("The reason is too long (at most 200 characters)."), field="reason")
    if not re.fullmatch(r"[0-9a-f]{16,40}", key or ""):
        raise DomainError(_("This form has expired. Please reload the page and try again."), code="bad_key")
    prefix = f"staff-{enrollment.id}-{key}-"
    done = payments.refunds_with_key_prefix(prefix)
    if done:
        if sum(r.amount_fen for r in done) != amount_fen:
            raise DomainError(_("This form was already used for a different refund. Please reload the page."),
                              field="amount", code="idempotency_conflict")
        return 0  # the same form sent twice: already done
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_("Enter an amount in yuan greater than zero, for example 120 or 85.50."), field="amount")
    available = refundable_fen(enrollment)
    if amount_fen > available:
        raise DomainError(_("At most %(max)s can still be refunded for this enrollment.", max=payments.yuan(available)),
                          field="amount", code="refund_exceeds_payment")
    left = amount_fen
    for intent in payments.payments_of(enrollment.id):
        if left <= 0:
            break
        if intent.state not in (PaymentState.SUCCEEDED, PaymentState.PARTIALLY_REFUNDED):
            continue
        part = min(left, intent.amount_fen - intent.refunded_fen)
        if part > 0:
            payments.refund_payment(intent, part, idempotency_key=f"{prefix}{intent.id}", actor_id=staff.id,
                                    reason=f"refund by the base: {reason}", at=now)
            left -= part
    for line in payments.lines_of(enrollment.id):  # a group payment: back to the employer that paid
        if left <= 0:
            break
        if line.payment.state not in PAID_STATES:
            continue
        part = min(left, line.amount_fen - line.refunded_fen)
        if part > 0:
            payments.refund_line(line, part, key=f"{prefix}l{line.id}", actor_id=staff.id,
                                 reason=f"refund by the base: {reason}", at=now)
            left -= part
    publish(EnrollmentRefunded(enrollment.id, enrollment.learner_id, enrollment.course_id, amount_fen, now,
                               by="base", reason=reason, payer=enrollment.paid_by or ""))
    return amount_fen


def retry_failed_refund(refund: Refund, staff: User, now: datetime | None = None) -> Refund:
    """Base staff send a refund the provider refused once more (see ``payments.retry_refund``)."""
    return payments.retry_refund(refund, staff.id, now or db_now())


def roster(course_id: int) -> list[Enrollment]:
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.course_id == course_id)
        .options(joinedload(Enrollment.learner).joinedload(User.profile),
                 selectinload(Enrollment.payments).selectinload(PaymentIntent.refunds),
                 selectinload(Enrollment.payment_lines).joinedload(PaymentLine.payment)
                 .selectinload(PaymentIntent.refunds),
                 joinedload(Enrollment.group))
        .order_by(sa.case((Enrollment.state.in_(SEAT_STATES + (S.COMPLETED,)), 0),
                          (Enrollment.state == S.WAITLISTED, 1), else_=2),
                  Enrollment.waitlisted_at, Enrollment.id)
    ).unique().all()


def record_past_enrollment(course: Course, learner: User, *, at: datetime, reason: str) -> Enrollment:
    """A confirmed enrollment in a course that already ran, recorded by its base (a paper
    registration from before NTBase, or demo data): no window, no payment; it takes a seat
    only if one is left (a finished course's seats no longer matter, but the counter stays
    true)."""
    if learner.role != Role.LEARNER or learner.profile is None:
        raise DomainError(_("Only learner accounts can enroll in courses."), code="not_learner")
    if live_enrollment(course.id, learner.id) is not None:
        raise DomainError(_("This learner is already enrolled in this course."), code="duplicate")
    if not seats.take_seat(course.id):
        raise DomainError(_("This course is full."), code="full")
    enrollment = Enrollment(course_id=course.id, learner_id=learner.id, price_fen=0, source="manual",
                            state=S.CONFIRMED, confirmed_at=at, created_at=at, updated_at=at)
    db.session.add(enrollment)
    db.session.flush()
    record(enrollment, None, S.CONFIRMED, None, reason, at)
    return enrollment


def manual_enroll(course: Course, id_number: str, staff: User, now: datetime | None = None) -> Enrollment:
    """Enroll the learner with this ID number (never searched partially, never put in a URL)."""
    id_number = parse_id_number(id_number, field="id_number")
    learner = find_learner_by_id_number(id_number)
    if learner is None:
        raise DomainError(_("No learner account has this ID number. The learner must register first."),
                          field="id_number", code="unknown_learner")
    try:
        return enroll_learner(course, learner, actor=staff, now=now, source="manual")
    except DomainError as err:
        if err.field is None:
            err.field = "id_number"
        raise


@dataclass
class CourseFigures:
    course: Course
    counts: dict
    paid_fen: int = 0
    refunded_fen: int = 0

    def n(self, state: str) -> int:
        return self.counts.get(state, 0)


def base_figures(base_id: int) -> list[CourseFigures]:
    """Enrollment figures for every course of a base, in three statements."""
    courses = db.session.scalars(sa.select(Course).where(Course.base_id == base_id)
                                 .order_by(Course.first_session_at.desc().nulls_last(), Course.id.desc())).all()
    ids = [c.id for c in courses]
    counts: dict[int, dict] = {cid: {} for cid in ids}
    money: dict[int, tuple[int, int]] = {}
    if ids:
        for cid, state, n in db.session.execute(
                sa.select(Enrollment.course_id, Enrollment.state, sa.func.count(Enrollment.id))
                .where(Enrollment.course_id.in_(ids)).group_by(Enrollment.course_id, Enrollment.state)):
            counts[cid][state.value] = n
        money_in = payments.paid_sums()
        for cid, paid, refunded in db.session.execute(
                sa.select(Enrollment.course_id, sa.func.sum(money_in.c.paid_fen), sa.func.sum(money_in.c.refunded_fen))
                .join(money_in, money_in.c.enrollment_id == Enrollment.id)
                .where(Enrollment.course_id.in_(ids))
                .group_by(Enrollment.course_id)):
            money[cid] = (int(paid or 0), int(refunded or 0))
    return [CourseFigures(c, counts[c.id], *money.get(c.id, (0, 0))) for c in courses]


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int
    confirmed: int  # seats confirmed that month (still confirmed or completed since)
    cancelled: int  # enrollments cancelled that month

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def base_enrollments_by_month(base_id: int, months: int = 12, now: datetime | None = None) -> list[MonthCount]:
    """The base's enrollments over the last ``months`` months, oldest first (two statements)."""
    at = now or db_now()
    first_year, first_month = divmod(at.year * 12 + at.month - 1 - (months - 1), 12)
    start = datetime(first_year, first_month + 1, 1)
    keys = [divmod(first_year * 12 + first_month + i, 12) for i in range(months)]
    keys = [(y, m + 1) for y, m in keys]

    def count(when, states) -> dict:
        rows = db.session.execute(
            sa.select(sa.extract("year", when), sa.extract("month", when), sa.func.count(Enrollment.id))
            .join(Course, Course.id == Enrollment.course_id)
            .where(Course.base_id == base_id, Enrollment.state.in_(states), when >= start)
            .group_by(sa.extract("year", when), sa.extract("month", when))).all()
        return {(int(y), int(m)): int(n) for y, m, n in rows}

    confirmed = count(sa.func.coalesce(Enrollment.confirmed_at, Enrollment.created_at), (S.CONFIRMED, S.COMPLETED))
    cancelled = count(sa.func.coalesce(Enrollment.cancelled_at, Enrollment.updated_at), (S.CANCELLED,))
    return [MonthCount(y, m, confirmed.get((y, m), 0), cancelled.get((y, m), 0)) for y, m in keys]


def failed_refunds(base_id: int) -> list[Refund]:
    """Refunds the provider refused for the base's courses: money still owed to learners."""
    enrollment_ids = (sa.select(Enrollment.id).join(Course, Course.id == Enrollment.course_id)
                      .where(Course.base_id == base_id))
    return payments.failed_refunds(enrollment_ids, options=(
        joinedload(Refund.payment).joinedload(PaymentIntent.enrollment)
        .joinedload(Enrollment.learner).joinedload(User.profile),
        joinedload(Refund.payment).joinedload(PaymentIntent.enrollment).joinedload(Enrollment.course)))


# --- completion -----------------------------------------------------------------------------

def complete(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None,
             reason: str = "course completed") -> Enrollment:
    """confirmed → completed, once. The caller (attendance for in-person courses, learning
    for online ones) has checked the course's completion rule. The seat is given back
    (a completed enrollment no longer holds one) and ``EnrollmentCompleted`` is published:
    the certificate is issued and the hours credited in the same unit of work.

    A compare-and-set: of two requests completing at once (two staff, two heartbeats) one
    completes and the other gets "already completed".
    """
    at = now or db_now()
    if enrollment.state == S.COMPLETED:
        raise DomainError(_("This learner has already completed the course."), code="already_completed")
    publish(EnrollmentCompleting(enrollment.id, enrollment.course_id, actor_id))
    try:
        transition(enrollment, S.COMPLETED, actor_id, reason, at, completed_at=at)
    except ConcurrentChange as exc:
        raise DomainError(_("This learner has already completed the course."), code="already_completed") from exc
    seats.free_seats(enrollment.course_id)
    publish(EnrollmentCompleted(enrollment.id, enrollment.learner_id, enrollment.course_id, actor_id, at))
    return enrollment



# --- group enrollment: several learners, one payer (an employer for its staff) ---------------

MAX_GROUP = 200


def group_hold_minutes() -> int:
    """How long a group's seats stay held unpaid: an employer's HR collects consents and
    pays through its own finance office, so longer than a learner's hold."""
    return int(current_app.config.get("GROUP_HOLD_MINUTES", 60 * 24))


def get_group(group_id: int) -> EnrollmentGroup | None:
    return db.session.get(EnrollmentGroup, group_id)


def group_members(group_id: int) -> list[Enrollment]:
    """A group's enrollments with learner, profile and payment lines (three statements)."""
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.group_id == group_id)
        .options(joinedload(Enrollment.learner).joinedload(User.profile),
                 selectinload(Enrollment.payment_lines).joinedload(PaymentLine.payment))
        .order_by(Enrollment.id)
    ).unique().all()


def _group_deadline(course: Course, now: datetime) -> datetime:
    deadline = min(now + timedelta(minutes=group_hold_minutes()), course.enroll_closes_at)
    if course.first_session_at is not None:
        deadline = min(deadline, course.first_session_at)
    return deadline


def _with_field(err: DomainError, field_name: str) -> DomainError:
    if err.field is None:
        err.field = field_name
    return err


def hold_group(course: Course, learners: list[User], actor: User, *, payer_label: str,
               now: datetime | None = None) -> EnrollmentGroup:
    """Seats for every one of ``learners`` in ``course`` at once, or none at all.

    One conditional UPDATE of the seat counter takes them all (``seats.take_seats``), so a
    group never takes part of what it asked for and the course is never oversold. A free
    course confirms them at once; otherwise each seat is held until one payment by the
    payer (``start_group_payment``) confirms them, and the holds share one deadline. Each
    learner is told in their language, with who pays. Nothing is written when it fails.
    """
    now = now or db_now()
    if not learners:
        raise DomainError(_("Choose at least one person."), field="learner_ids")
    if len(learners) > MAX_GROUP:
        raise DomainError(_("At most %(n)s people can be enrolled together.", n=MAX_GROUP), field="learner_ids")
    if len({u.id for u in learners}) != len(learners):
        raise DomainError(_("A person appears twice in this group."), field="learner_ids")
    if any(u.role != Role.LEARNER or u.profile is None for u in learners):
        raise DomainError(_("Only learner accounts can enroll in courses."), field="learner_ids", code="not_learner")
    try:
        check_open_for_enrollment(course, now)
    except DomainError as err:
        raise _with_field(err, "course_id") from None
    sweep_expired(now, course_id=course.id)
    ids = [u.id for u in learners]
    taken = db.session.scalars(sa.select(Enrollment.learner_id).where(
        Enrollment.course_id == course.id, Enrollment.learner_id.in_(ids), Enrollment.state.in_(LIVE_STATES))).all()
    if taken:
        names = join_list(u.name for u in learners if u.id in set(taken))
        raise DomainError(_("Already enrolled in this course: %(names)s. Leave them out of the group.", names=names),
                          field="learner_ids", code="duplicate")
    if _waitlist_length(course.id):
        raise DomainError(_("People are waiting for a seat in this course: a group cannot take seats ahead of them."),
                          field="learner_ids", code="full")
    n = len(learners)
    if not seats.take_seats(course.id, n):
        left = db.session.scalar(sa.select(Course.capacity - Course.seats_taken).where(Course.id == course.id))
        raise DomainError(_("Only %(left)s seats are left in this course: a group of %(n)s does not fit, so no seat "
                            "was held.", left=max(int(left or 0), 0), n=n), field="learner_ids", code="full")
    free = course.price_fen == 0
    deadline = None if free else _group_deadline(course, now)
    group = EnrollmentGroup(course_id=course.id, size=n, price_fen=course.price_fen, hold_expires_at=deadline,
                            payer_label=(payer_label or "")[:200], created_by_id=actor.id, created_at=now,
                            updated_at=now)
    db.session.add(group)
    db.session.flush()
    rows = [Enrollment(course_id=course.id, learner_id=u.id, price_fen=course.price_fen,
                       disclosure_version_id=course.disclosure_version_id, source="group", enrolled_by_id=actor.id,
                       group_id=group.id, checkin_token=secrets.token_urlsafe(24),
                       state=S.CONFIRMED if free else S.HELD, confirmed_at=now if free else None,
                       hold_expires_at=deadline, created_at=now, updated_at=now)
            for u in learners]
    db.session.add_all(rows)
    db.session.flush()  # the partial unique index refuses a second live enrollment here
    for enrollment, learner in zip(rows, learners, strict=True):
        record(enrollment, None, enrollment.state, actor.id, f"group enrollment paid by {group.payer_label}", now)
        notifications.notify(learner.id, "enrolled_by_employer", link=my_courses_link(),
                             payer=group.payer_label, course_title=course.title, free=free,
                             amount_fen=course.price_fen,
                             until=deadline.strftime("%Y-%m-%d %H:%M") if deadline else "")
    return group


def start_group_payment(group: EnrollmentGroup, payer: User, *, return_path: str = "/",
                        now: datetime | None = None) -> PaymentIntent:
    """The one pending payment for every seat of ``group`` still held (a new one when
    members were cancelled since the last attempt, which is cancelled). Refused when the
    hold has run out: the seats are gone."""
    now = now or db_now()
    sweep_expired(now, course_id=group.course_id)  # a lapsed group hold cannot be paid for
    members = [e for e in group_members(group.id) if e.state == S.HELD]
    if not members or (group.hold_expires_at is not None and group.hold_expires_at < now):
        raise DomainError(_("The seats of this group are no longer held. Enroll the people again to get new seats."),
                          code="not_held")
    wanted = sorted(e.id for e in members)
    pending = payments.pending_group_intent(group.id)
    if pending is not None:
        if sorted(line.enrollment_id for line in pending.lines) == wanted:
            return pending
        payments.cancel_payment(pending, payer.id, "the group changed", now)
    course = db.session.get(Course, group.course_id)
    attempt = len(payments.group_payments(group.id)) + 1
    return payments.create_group_payment(
        group_id=group.id, payer_id=payer.id, lines=[(e.id, e.price_fen) for e in members],
        idempotency_key=f"group-{group.id}-{attempt}", expires_at=group.hold_expires_at, actor_id=payer.id,
        description=f"{course.title} · {course.base.name} · {len(members)}", return_path=return_path, at=now)


def on_group_payment_succeeded(intent: PaymentIntent, at: datetime) -> str:
    """The payer's money for a group arrived: each held seat it pays for is confirmed.

    Never a payment without a seat: seats whose hold expired are taken again together when
    all of them still fit (``take_seats``), else their lines are refunded to the payer, as
    are the lines of members cancelled meanwhile.
    """
    group = db.session.get(EnrollmentGroup, intent.group_id)
    course = db.session.get(Course, group.course_id)
    members = {e.id: e for e in group_members(group.id)}
    confirmed: list[Enrollment] = []
    late: list[tuple[PaymentLine, Enrollment]] = []
    refund: list[tuple[PaymentLine, Enrollment]] = []
    for line in payments.lines_of_payment(intent.id):
        enrollment = members[line.enrollment_id]
        if enrollment.state == S.HELD:
            transition(enrollment, S.CONFIRMED, None, f"paid by {group.payer_label}", at, confirmed_at=at)
            confirmed.append(enrollment)
        elif enrollment.state == S.EXPIRED:
            late.append((line, enrollment))
        else:
            refund.append((line, enrollment))
    if late:
        fits = (course.status == CourseStatus.PUBLISHED
                and not any(live_enrollment(course.id, e.learner_id) for _line, e in late)
                and seats.take_seats(course.id, len(late)))
        if fits:
            for _line, enrollment in late:
                transition(enrollment, S.CONFIRMED, None, "late group payment; the seats were still free", at,
                           confirmed_at=at)
                confirmed.append(enrollment)
        else:
            refund.extend(late)
    for line, enrollment in refund:
        payments.refund_line(line, key=f"auto-{intent.id}-l{line.id}", actor_id=None,
                             reason=f"no seat for this payment (enrollment {enrollment.state.value})", at=at)
    notifications.notify_many([e.learner_id for e in confirmed], "group_confirmed", link=my_courses_link(),
                              course_title=course.title, payer=group.payer_label)
    return f"group {group.id}: {len(confirmed)} confirmed, {len(refund)} refunded to the payer"


def cancel_group_member(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None,
                        reason: str = "cancelled by the employer") -> CancelTerms:
    """The payer gives up one member's seat, under the course's refund rule (the same
    ``cancellation_terms`` as a learner's): what comes back goes to the payer. Before the
    group is paid its pending payment is cancelled (the next one covers the others)."""
    if enrollment.group_id is None:
        raise DomainError(_("This enrollment is not part of a group."), code="not_group")
    now = now or db_now()
    terms = _allowed_terms(enrollment, now)
    had_seat = enrollment.holds_seat
    transition(enrollment, S.CANCELLED, actor_id, reason, now, cancelled_at=now)
    for line in payments.lines_of(enrollment.id):
        if line.payment.state == PaymentState.PENDING:
            payments.cancel_payment(line.payment, actor_id, "a member of the group was cancelled", now)
        elif terms.refund_fen:
            payments.refund_line(line, key=f"cancel-{enrollment.id}-l{line.id}", actor_id=actor_id,
                                 reason="cancelled before the refund deadline", at=now)
    course = db.session.get(Course, enrollment.course_id)
    if had_seat:
        release_seat(course, now)
    notifications.notify(enrollment.learner_id, "group_member_cancelled", link=my_courses_link(),
                         payer=enrollment.paid_by, course_title=course.title)
    return terms

"""How the enrollment domain reacts to the others' events."""
from __future__ import annotations

from ntbase.catalog import services as catalog
from ntbase.catalog.events import CourseCancelled, CourseChanged
from ntbase.enrollment import services
from ntbase.enrollment.events import (
    EnrollmentCancelled,
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentOffered,
    EnrollmentRefunded,
    EnrollmentWaitlisted,
)
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.events import subscribe
from ntbase.notifications import services as notifications
from ntbase.payments import services as payments
from ntbase.payments.events import PaymentSucceeded


@subscribe(PaymentSucceeded)
def confirm_what_was_paid(event: PaymentSucceeded) -> str | None:
    """A paid seat is confirmed, or, when no seat can be given any more, the money goes back.
    A group payment (an employer paying for its staff) confirms each seat it pays for.
    Answers what happened, for the provider's webhook log."""
    if event.group_id is not None:
        return services.on_group_payment_succeeded(payments.get_intent(event.payment_id), event.at)
    if event.enrollment_id is None:
        return None
    return services.on_payment_succeeded(payments.get_intent(event.payment_id), event.at)


@subscribe(CourseCancelled)
def cancel_enrollments_of_cancelled_course(event: CourseCancelled) -> None:
    """Every live enrollment is cancelled and refunded, with one notice per learner."""
    services.on_course_cancelled(catalog.get_course(event.course_id), event.actor_id, event.at)


@subscribe(CourseChanged)
def tell_learners_of_course_change(event: CourseChanged) -> None:
    services.tell_of_course_change(catalog.get_course(event.course_id), event.fields, event.reason)


# ---------------------------------------------------------------- telling the learner
# One notice per change, in the learner's language (ntbase.notifications), except for the
# moments the learner is looking at on the page they just used: a seat held while they
# pay, a waitlist place they just took.

def _course(course_id: int):
    return catalog.get_course(course_id)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@subscribe(EnrollmentConfirmed)
def tell_confirmed(event: EnrollmentConfirmed) -> None:
    course = _course(event.course_id)
    if event.by == "base":
        notifications.notify(event.learner_id, "enrolled_by_base", link=services.my_courses_link(),
                             course_title=course.title, offer_until="",
                             state_title=lambda: EnrollmentState.CONFIRMED.title)
        return
    notifications.notify(event.learner_id, "enrollment_confirmed", link=services.my_courses_link(),
                         course_title=course.title, paid_fen=event.paid_fen, late=event.late,
                         starts=_when(course.first_session_at))


@subscribe(EnrollmentOffered)
def tell_offered(event: EnrollmentOffered) -> None:
    course = _course(event.course_id)
    kind = "enrolled_by_base" if event.by == "base" else "seat_offered"
    notifications.notify(event.learner_id, kind, link=services.my_courses_link(), course_title=course.title,
                         offer_until=_when(event.expires_at))


@subscribe(EnrollmentWaitlisted)
def tell_waitlisted_by_base(event: EnrollmentWaitlisted) -> None:
    if event.by != "base":
        return  # they joined the waitlist themselves, on the page that says so
    notifications.notify(event.learner_id, "enrolled_by_base", link=services.my_courses_link(),
                         course_title=_course(event.course_id).title, offer_until="",
                         state_title=lambda: EnrollmentState.WAITLISTED.title)


@subscribe(EnrollmentCancelled)
def tell_cancelled(event: EnrollmentCancelled) -> None:
    course = _course(event.course_id)
    if event.by == "course":
        notifications.notify(event.learner_id, "course_cancelled", link=services.my_courses_link(),
                             course_title=course.title, refund_fen=event.refund_fen, reason=event.reason,
                             payer=event.payer)
        return
    enrollment = services.get_enrollment(event.enrollment_id)
    notifications.notify(event.learner_id, "enrollment_cancelled", link=services.my_courses_link(),
                         course_title=course.title, refund_fen=event.refund_fen,
                         paid=bool(enrollment and enrollment.paid_fen))


@subscribe(EnrollmentRefunded)
def tell_refunded(event: EnrollmentRefunded) -> None:
    kind = "refund_by_base" if event.by == "base" else "payment_refunded"
    notifications.notify(event.learner_id, kind, link=services.my_courses_link(),
                         course_title=_course(event.course_id).title, amount_fen=event.amount_fen,
                         reason=event.reason, payer=event.payer)


@subscribe(EnrollmentCompleted)
def tell_completed(event: EnrollmentCompleted) -> None:
    course = _course(event.course_id)
    notifications.notify(event.learner_id, "course_completed", link=services.my_courses_link(),
                         course_title=course.title, hours=course.hours)

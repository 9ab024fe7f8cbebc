"""How the enrollment domain reacts to the others' events."""
from __future__ import annotations

from ntbase.catalog import services as catalog
from ntbase.catalog.events import CourseCancelled, CourseChanged
from ntbase.enrollment import services
from ntbase.kernel.events import subscribe
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

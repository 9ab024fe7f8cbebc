"""Enrollment and payment JSON (/api/v1) for the logged-in learner. Same services as the pages."""
from __future__ import annotations

from flask import abort
from flask_login import current_user, login_required
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError

from ntbase.catalog.models import Course
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment
from ntbase.kernel.api import LocalDateTime, bp, document, json_error, parse_body
from ntbase.kernel.auth import learner_required
from ntbase.kernel.db import db
from ntbase.payments import services as payments
from ntbase.payments.schemas import PaymentIntentOut, RefundOut


class EnrollmentOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    course_id: int
    course_title: str
    state: str
    state_title: str
    price_fen: int
    hold_expires_at: LocalDateTime | None = None
    offer_expires_at: LocalDateTime | None = None
    waitlist_position: int | None = None
    payment_url: str | None = None
    payments: list[PaymentIntentOut] = []


class EnrollIn(BaseModel):
    """Nothing to say yet: the body is ``{}`` (a JSON body keeps cross-site forms out)."""

    model_config = ConfigDict(extra="ignore")


class EnrollmentListOut(BaseModel):
    items: list[EnrollmentOut]


def payment_out(p) -> PaymentIntentOut:
    return PaymentIntentOut(
        provider=p.provider, provider_ref=p.provider_ref, enrollment_id=p.enrollment_id, amount_fen=p.amount_fen,
        refunded_fen=p.refunded_fen, currency=p.currency, status=p.state.value, method=p.method,
        checkout_url=payments.checkout_url(p) if p.state.value == "pending" else None,
        created_at=p.created_at, succeeded_at=p.succeeded_at, expires_at=p.expires_at,
        refunds=[RefundOut(provider_ref=r.provider_ref, payment_ref=p.provider_ref, amount_fen=r.amount_fen,
                           status=r.state.value) for r in p.refunds])


def enrollment_out(e: Enrollment, position: int | None = None) -> EnrollmentOut:
    pending = next((p for p in e.payments if p.state.value == "pending"), None)
    return EnrollmentOut(
        id=e.id, course_id=e.course_id, course_title=e.course.title, state=e.state.value,
        state_title=e.state.title, price_fen=e.price_fen, hold_expires_at=e.hold_expires_at,
        offer_expires_at=e.offer_expires_at, waitlist_position=position,
        payment_url=payments.checkout_url(pending) if pending else None,
        payments=[payment_out(p) for p in e.payments])


@bp.get("/me/enrollments")
@document("My enrollments, newest first", path="/me/enrollments", response=EnrollmentListOut,
          tags=["enrollment"], errors={401: "Not logged in", 403: "Not a learner"})
@learner_required
def my_enrollments():
    rows = services.learner_enrollments(current_user.id)
    positions = services.waitlist_positions(rows)
    return EnrollmentListOut(items=[enrollment_out(e, positions.get(e.id)) for e in rows]).model_dump(mode="json")


@bp.post("/courses/<int:course_id>/enrollments")
@document("Enroll in a course: confirmed (free), held while paying, or waitlisted", method="post",
          path="/courses/<int:course_id>/enrollments", body=EnrollIn, response=EnrollmentOut, status=201,
          tags=["enrollment"], errors={400: "Body is not JSON (send {})", 401: "Not logged in", 403: "Not a learner", 404: "No such course",
                  409: "Already enrolled", 422: "Course not open for enrollment"})
@learner_required
def enroll(course_id: int):
    # The API is CSRF-exempt and this POST has no body: insisting on a JSON content type
    # keeps a cross-site HTML form (which cannot send one without a CORS preflight) from
    # enrolling a logged-in learner.
    _body, error = parse_body(EnrollIn)
    if error is not None:
        return error
    course = db.session.get(Course, course_id) or abort(404)
    try:
        # a refusal (DomainError) is answered by the unit of work: 409 duplicate, else 422
        e = services.enroll_learner(course, current_user)
    except IntegrityError:  # a second request raced the first past the check: the index caught it
        db.session.rollback()
        return json_error(409, services.duplicate_message(), "duplicate")
    return enrollment_out(e, services.waitlist_position(e)).model_dump(mode="json"), 201


@bp.get("/payments/<provider_ref>")
@document("One of my payments", path="/payments/<provider_ref>", response=PaymentIntentOut,
          tags=["payments"], errors={401: "Not logged in", 404: "No such payment of yours"})
@login_required
def payment(provider_ref: str):
    p = payments.get_by_ref(provider_ref)
    if p is None or p.learner_id != current_user.id:
        abort(404)
    return payment_out(p).model_dump(mode="json")

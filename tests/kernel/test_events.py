"""Domain events: who reacts to what (docs/architecture.md), and the one mechanism itself."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from ntbase import registry
from ntbase.accounts.events import PasswordResetRequested
from ntbase.bases.events import TeacherRenamed
from ntbase.catalog.events import CourseCancelled, CourseChanged, SessionsRemoved
from ntbase.certificates.events import (
    CertificateCorrected,
    CertificateIssued,
    CertificateReplaced,
    CertificateRevoked,
)
from ntbase.enrollment.events import (
    EnrollmentCancelled,
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentOffered,
    EnrollmentRefunded,
    EnrollmentWaitlisted,
)
from ntbase.hours.events import HoursReviewed
from ntbase.kernel.events import Event, handlers_of, handlers_replaced, publish, subscribe
from ntbase.office.complaints.events import ComplaintAnswered
from ntbase.payments.events import PaymentSucceeded

WIRING = {
    PaymentSucceeded: ["ntbase.enrollment.handlers"],
    CourseCancelled: ["ntbase.enrollment.handlers"],
    CourseChanged: ["ntbase.enrollment.handlers"],
    SessionsRemoved: ["ntbase.attendance.handlers"],
    TeacherRenamed: ["ntbase.catalog.handlers"],
    # the learner is told first (enrollment), then the certificate is issued
    EnrollmentCompleted: ["ntbase.enrollment.handlers", "ntbase.certificates.handlers"],
    # certificates tell the learner and render the PDF; hours keep the ledger
    CertificateIssued: ["ntbase.certificates.handlers", "ntbase.hours.handlers"],
    CertificateRevoked: ["ntbase.certificates.handlers", "ntbase.hours.handlers"],
    CertificateReplaced: ["ntbase.certificates.handlers", "ntbase.hours.handlers"],
    CertificateCorrected: ["ntbase.certificates.handlers"],
    EnrollmentConfirmed: ["ntbase.enrollment.handlers"],
    EnrollmentOffered: ["ntbase.enrollment.handlers"],
    EnrollmentWaitlisted: ["ntbase.enrollment.handlers"],
    EnrollmentCancelled: ["ntbase.enrollment.handlers"],
    EnrollmentRefunded: ["ntbase.enrollment.handlers"],
    HoursReviewed: ["ntbase.hours.handlers"],
    ComplaintAnswered: ["ntbase.office.complaints.handlers"],
    PasswordResetRequested: ["ntbase.notifications.handlers"],
}


@pytest.mark.parametrize("event_type", list(WIRING), ids=lambda t: t.__name__)
def test_each_event_reaches_the_domains_that_own_the_reaction(app, event_type):
    assert [h.__module__ for h in handlers_of(event_type)] == WIRING[event_type]


@dataclass(frozen=True)
class Ping(Event):
    n: int


def test_handlers_run_in_order_once_and_their_answers_come_back(app):
    seen = []

    def first(e):
        seen.append(("first", e.n))

    def second(e):
        seen.append(("second", e.n))
        return "pong"

    with handlers_replaced(Ping, []):
        subscribe(Ping)(first)
        subscribe(Ping)(second)
        subscribe(Ping)(first)  # subscribing twice changes nothing
        assert publish(Ping(1)) == [None, "pong"]
    assert seen == [("first", 1), ("second", 1)]
    assert publish(Ping(2)) == []  # outside the block, nobody listens


def test_a_handler_that_raises_stops_the_publisher(app):
    def refuse(e):
        raise ValueError("no")

    with handlers_replaced(Ping, [refuse]), pytest.raises(ValueError):
        publish(Ping(1))


def test_a_missing_module_in_the_registry_fails_loudly():
    with pytest.raises(ModuleNotFoundError):
        registry.load(["ntbase.payments.api"])  # the module that api/views.py used to skip silently

"""How the hours ledger reacts to the others' events."""
from __future__ import annotations

from ntbase.certificates import services as certificates
from ntbase.certificates.events import CertificateIssued, CertificateReplaced, CertificateRevoked
from ntbase.enrollment import services as enrollments
from ntbase.hours import ledger, status
from ntbase.hours.events import HoursReviewed, LedgerChanged, PolicyChanged
from ntbase.kernel.events import subscribe
from ntbase.notifications import services as notifications


@subscribe(CertificateIssued)
def credit_completed_course(event: CertificateIssued) -> None:
    """A completed NTBase course enters the learner's ledger, accepted, once."""
    ledger.record_course_completion(enrollments.get_enrollment(event.enrollment_id),
                                    certificates.get_certificate(event.certificate_id))


@subscribe(CertificateRevoked)
def withdraw_revoked_hours(event: CertificateRevoked) -> None:
    """A revoked certificate no longer proves the study: its hours stop counting."""
    ledger.withdraw_certificate_hours(event.certificate_id, event.actor_id, event.reason, event.at)


@subscribe(CertificateReplaced)
def follow_reissued_certificate(event: CertificateReplaced) -> None:
    ledger.repoint_certificate(event.old_id, event.new_id)


@subscribe(LedgerChanged)
def refresh_yearly_status(event: LedgerChanged) -> None:
    status.refresh([event.learner_id])


@subscribe(PolicyChanged)
def rejudge_every_learner(event: PolicyChanged) -> None:
    """A policy edit is rare and its effect is city-wide: every kept year is judged again,
    in the same transaction as the edit."""
    status.rebuild()


@subscribe(HoursReviewed)
def tell_reviewed(event: HoursReviewed) -> None:
    """The learner hears the office's decision, with the reason, in their language."""
    notifications.notify(event.learner_id, "hours_reviewed", link="/me/hours", accepted=event.accepted,
                         what=event.title, reason=event.reason)

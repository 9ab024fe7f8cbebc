"""How the certificates domain reacts to the others' events (and to its own: the learner
is told, and the PDF is rendered in the background)."""
from __future__ import annotations

from ntbase.certificates import codes, services
from ntbase.certificates.events import (
    CertificateCorrected,
    CertificateIssued,
    CertificateReplaced,
    CertificateRevoked,
)
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.events import EnrollmentCompleted
from ntbase.kernel.events import subscribe
from ntbase.kernel.jobs import enqueue_after_commit
from ntbase.notifications import services as notifications


@subscribe(EnrollmentCompleted)
def issue_certificate_on_completion(event: EnrollmentCompleted) -> None:
    """Every completed course gets its certificate (培训合格证明), once."""
    services.issue_certificate(enrollments.get_enrollment(event.enrollment_id), now=event.at)


def _render_later(certificate_id: int) -> None:
    enqueue_after_commit("certificates.render_pdf", certificate_id)


@subscribe(CertificateIssued)
def tell_and_render_issued(event: CertificateIssued) -> None:
    cert = services.get_certificate(event.certificate_id)
    notifications.notify(event.learner_id, "certificate_issued", link=f"/certificates/{cert.id}",
                         course_title=cert.course_title, code=codes.display(cert.code))
    _render_later(cert.id)


@subscribe(CertificateRevoked)
def tell_and_render_revoked(event: CertificateRevoked) -> None:
    cert = services.get_certificate(event.certificate_id)
    notifications.notify(event.learner_id, "certificate_revoked", link="/me/certificates",
                         course_title=cert.course_title, code=codes.display(cert.code), reason=event.reason)
    _render_later(cert.id)  # the stored copy gets its REVOKED watermark


@subscribe(CertificateReplaced)
def tell_and_render_reissued(event: CertificateReplaced) -> None:
    old, new = services.get_certificate(event.old_id), services.get_certificate(event.new_id)
    notifications.notify(event.learner_id, "certificate_reissued", link=f"/certificates/{new.id}",
                         course_title=new.course_title, code=codes.display(new.code),
                         old_code=codes.display(old.code))
    _render_later(old.id)
    _render_later(new.id)


@subscribe(CertificateCorrected)
def render_corrected(event: CertificateCorrected) -> None:
    _render_later(event.certificate_id)

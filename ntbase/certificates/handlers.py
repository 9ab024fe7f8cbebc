"""How the certificates domain reacts to the others' events."""
from __future__ import annotations

from ntbase.certificates import services
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.events import EnrollmentCompleted
from ntbase.kernel.events import subscribe


@subscribe(EnrollmentCompleted)
def issue_certificate_on_completion(event: EnrollmentCompleted) -> None:
    """Every completed course gets its certificate (培训合格证明), once."""
    services.issue_certificate(enrollments.get_enrollment(event.enrollment_id), now=event.at)

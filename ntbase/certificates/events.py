"""What the certificates domain tells the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class CertificateIssued(Event):
    certificate_id: int
    enrollment_id: int
    learner_id: int
    at: datetime


@dataclass(frozen=True)
class CertificateRevoked(Event):
    """A certificate no longer proves the study (not published when it is revoked only
    because a corrected one replaces it: see ``CertificateReplaced``)."""

    certificate_id: int
    learner_id: int
    actor_id: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class CertificateReplaced(Event):
    """``new_id`` was issued in place of ``old_id`` (same study, new code)."""

    old_id: int
    new_id: int
    learner_id: int
    at: datetime


@dataclass(frozen=True)
class CertificateCorrected(Event):
    """The holder's name was corrected: same code, a freshly signed payload."""

    certificate_id: int
    learner_id: int
    at: datetime

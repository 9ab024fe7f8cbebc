"""Revocation of Open Badges credentials through a W3C Bitstring Status List v1.0.

Each certificate that has been handed out as an Open Badge holds one bit in one list:
``StatusListEntry`` (list number, index), drawn at random when its first credential is
made and never changed afterwards, so every copy of the credential points at the same
bit. A random draw (not the certificate id) is what the spec's privacy section asks for:
the index tells nothing about when, or how many, certificates were issued.

The bits themselves are not stored: a bit is set exactly when its certificate's state is
revoked, so revoking (or reissuing) a certificate needs no hook here, and the list can
never disagree with the certificate table. Each list is 131,072 bits (16 KiB, the spec's
minimum, for herd privacy); a new list is opened when the newest one is half full, so a
random free slot is found in a draw or two.
"""
from __future__ import annotations

import gzip
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ntbase.certificates.did_web import site_did
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.certificates.openbadges import VC_CONTEXT, iso_cst
from ntbase.certificates.signing import b64u
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.formatting import public_base_url

LIST_SIZE = 16 * 1024 * 8  # bits
FILL_LIMIT = LIST_SIZE // 2
PURPOSE = "revocation"


class StatusListEntry(db.Model):
    """The bit of one certificate in one status list. Never moves, never freed."""

    __tablename__ = "status_list_entry"
    __table_args__ = (
        sa.UniqueConstraint("list_id", "list_index"),
        sa.CheckConstraint(f"list_index >= 0 AND list_index < {LIST_SIZE}", name="index_in_list"),
        sa.CheckConstraint("list_id >= 1", name="list_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate.id"), unique=True)
    list_id: Mapped[int]
    list_index: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=now)


def status_list_url(list_id: int, base_url: str | None = None) -> str:
    return f"{(base_url or public_base_url()).rstrip('/')}/credentials/status/{list_id}"


def entry_of(cert_id: int) -> StatusListEntry | None:
    return db.session.scalar(sa.select(StatusListEntry).where(StatusListEntry.certificate_id == cert_id))


def _open_list() -> int:
    newest = db.session.scalar(sa.select(sa.func.max(StatusListEntry.list_id)))
    if newest is None:
        return 1
    used = db.session.scalar(sa.select(sa.func.count()).where(StatusListEntry.list_id == newest))
    return newest + 1 if used >= FILL_LIMIT else newest


def assign_entry(cert: Certificate) -> StatusListEntry:
    """The certificate's entry, drawing a random free slot the first time (flushes).
    The unique constraints decide races: two requests for one certificate get one entry,
    two certificates drawing one slot get two."""
    existing = entry_of(cert.id)
    if existing is not None:
        return existing
    list_id = _open_list()
    for _attempt in range(16):
        entry = StatusListEntry(certificate_id=cert.id, list_id=list_id, list_index=secrets.randbelow(LIST_SIZE))
        try:
            with db.session.begin_nested():
                db.session.add(entry)
            return entry
        except IntegrityError:
            if entry in db.session:
                db.session.expunge(entry)
            existing = entry_of(cert.id)
            if existing is not None:
                return existing  # another request gave it one meanwhile
    raise DomainError(_("Could not reserve a revocation entry. Please try again."))  # pragma: no cover


def list_exists(list_id: int) -> bool:
    newest = db.session.scalar(sa.select(sa.func.max(StatusListEntry.list_id))) or 1
    return 1 <= list_id <= newest


def revoked_indexes(list_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(StatusListEntry.list_index).join(Certificate, Certificate.id == StatusListEntry.certificate_id)
        .where(StatusListEntry.list_id == list_id, Certificate.state == CertificateState.REVOKED)
        .order_by(StatusListEntry.list_index)))


def encode_bits(indexes: list[int], size: int = LIST_SIZE) -> str:
    """``encodedList``: multibase base64url (prefix ``u``, no padding) of the GZIP-compressed
    bitstring; index 0 is the left-most (most significant) bit of the first byte."""
    bits = bytearray(size // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + b64u(gzip.compress(bytes(bits), mtime=0))


def status_list_credential(list_id: int, at: datetime | None = None) -> dict:
    """The unsigned ``BitstringStatusListCredential`` of list ``list_id``."""
    url = status_list_url(list_id)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": site_did(),
        "validFrom": iso_cst((at or now()).replace(microsecond=0)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_bits(revoked_indexes(list_id)),
        },
    }


def status_entry_json(entry: StatusListEntry) -> dict:
    """What a credential carries in ``credentialStatus``."""
    url = status_list_url(entry.list_id)
    return {"id": f"{url}#{entry.list_index}", "type": "BitstringStatusListEntry", "statusPurpose": PURPOSE,
            "statusListIndex": str(entry.list_index), "statusListCredential": url}

"""A training base's seal (公章) printed over the issuer line of its certificates.

Chinese training certificates are expected to carry the issuer's red seal; here it is a
picture only — the Ed25519 signature and the code stay the proof. Staff of the base upload
a PNG; it is checked by content, not by name or declared type: the PNG signature bytes,
then Pillow must decode the whole image within the size limits (≤ 1 MB file,
≤ 2000 × 2000 px, which also stops decompression bombs). What is stored is Pillow's fresh
re-encoding as RGBA — never the uploaded bytes, so no stray chunks or appended payloads
survive — with near-white pixels made transparent, so a seal scanned on white paper lets
the issuer's name show through as ink on paper would.

The platform has one too, uploaded by the office, for the yearly statements (``Seal``).
The image lives in the database (one row per owner), so every app server can serve and
print it. It is served only to who may see the documents it stamps (the base's staff, and
the holder of one of its certificates), never publicly: a seal image is what a forger wants.
"""
from __future__ import annotations

import hashlib
import io
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError
from sqlalchemy.orm import Mapped, mapped_column

from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError, PermissionDenied

MAX_BYTES = 1024 * 1024
MAX_SIDE = 2000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE_CUTOFF = 235  # grey level above which a pixel counts as paper, not ink
PRINT_OPACITY = 0.85  # semi-transparent over the issuer line, like ink


class Seal(db.Model):
    """One seal image per owner: a training base (``base-<id>``), or the platform itself
    (``office``), whose seal the yearly statements carry — a statement sums a learner's
    year across every base, so no single base's seal would be true on it."""

    __tablename__ = "seal"
    __table_args__ = (sa.CheckConstraint("(owner = 'office') = (base_id IS NULL)", name="owner_matches_base"),)

    owner: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    base_id: Mapped[int | None] = mapped_column(sa.ForeignKey("base.id"), unique=True)
    png: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))


PLATFORM = "office"


def owner_key(base_id: int | None) -> str:
    return PLATFORM if base_id is None else f"base-{int(base_id)}"


def can_change(actor, base_id: int | None) -> bool:
    """A base's seal: its own staff (or an admin). The platform's: the office."""
    if not (actor and actor.is_authenticated):
        return False
    return actor.is_office if base_id is None else actor.can_manage_base(base_id)


def normalize_png(data: bytes) -> tuple[bytes, int, int]:
    """The checked, re-encoded seal: (png bytes, width, height). Raises DomainError."""
    if not data:
        raise DomainError(_("Choose a PNG image of the seal."), field="image")
    if len(data) > MAX_BYTES:
        raise DomainError(_("The seal image is larger than 1 MB. Save it smaller and upload it again."),
                          field="image")
    if not data.startswith(PNG_SIGNATURE):
        raise DomainError(_("The seal must be a PNG image (this file is not one, whatever its name)."),
                          field="image")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
            width, height = probe.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise DomainError(_("The seal image is larger than 2000 × 2000 pixels. Scale it down and "
                                    "upload it again."), field="image")
            probe.verify()  # checksums of every chunk
        with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            img.load()  # decode every pixel: a truncated or corrupt file fails here
            rgba = img.convert("RGBA")
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(_("The seal image could not be read as a PNG. Export it again as PNG and "
                            "upload it."), field="image") from exc
    # paper → transparent: keep the existing alpha where the pixel is ink
    ink = rgba.convert("L").point(lambda v: 0 if v > WHITE_CUTOFF else 255)
    rgba.putalpha(ImageChops.multiply(rgba.getchannel("A"), ink))
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return out.getvalue(), width, height


def seal_of(base_id: int | None) -> Seal | None:
    """The seal of a base, or the platform's for ``None``."""
    return db.session.get(Seal, owner_key(base_id))


def save_seal(base_id: int | None, data: bytes, actor) -> Seal:
    """Upload or replace a seal (see ``can_change``). Flushes."""
    if not can_change(actor, base_id):
        raise PermissionDenied()
    png, width, height = normalize_png(data)
    seal = seal_of(base_id) or Seal(owner=owner_key(base_id), base_id=base_id)
    seal.png, seal.width, seal.height = png, width, height
    seal.sha256 = hashlib.sha256(png).hexdigest()
    seal.uploaded_at, seal.uploaded_by_id = now(), actor.id
    db.session.add(seal)
    db.session.flush()
    return seal


def remove_seal(base_id: int | None, actor) -> None:
    if not can_change(actor, base_id):
        raise PermissionDenied()
    seal = seal_of(base_id)
    if seal is None:
        raise DomainError(_("There is no seal to remove."))
    db.session.delete(seal)
    db.session.flush()


def print_png(seal: Seal) -> io.BytesIO:
    """The seal as printed: the stored image with its alpha scaled to PRINT_OPACITY."""
    with Image.open(io.BytesIO(seal.png)) as img:
        rgba = img.convert("RGBA")
    rgba.putalpha(rgba.getchannel("A").point(lambda a: int(a * PRINT_OPACITY)))
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    buf.seek(0)
    return buf


def draw_on_pdf(pdf, base_id: int | None, center_x: float, center_y: float, diameter: float = 40.0) -> bool:
    """Stamp the base's (or for ``None`` the platform's) seal, if there is one, on an fpdf2
    page, centred on the issuer line."""
    seal = seal_of(base_id)
    if seal is None:
        return False
    ratio = seal.height / seal.width if seal.width else 1
    w = diameter if ratio <= 1 else diameter / ratio
    h = w * ratio
    pdf.image(print_png(seal), x=center_x - w / 2, y=center_y - h / 2, w=w, h=h)
    return True

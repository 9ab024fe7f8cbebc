"""The certificate as an A4 PDF (fpdf2), in Chinese or English.

Chinese needs an embedded CJK font: Noto Sans CJK (face 2 of the collection is Simplified
Chinese; face 0 is Japanese), else WenQuanYi Micro Hei. Without one the text would
still extract but print as empty boxes, so a missing font is an error, not a fallback.
"""
from __future__ import annotations

import io

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF

from ntbase.bases.seal import draw_on_pdf
from ntbase.certificates import codes
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.certificates.services import qr_url
from ntbase.kernel import fonts
from ntbase.kernel.enums import Category
from ntbase.kernel.formatting import format_hours, public_base_url

PRIMARY = (11, 92, 171)
DARK = (29, 39, 51)
MUTED = (91, 102, 115)
DANGER = (179, 38, 30)


class FontMissing(RuntimeError):
    pass


def _font_candidates() -> tuple[str, int]:
    configured = current_app.config.get("CERTIFICATE_FONT")
    regular = [(configured, int(current_app.config.get("CERTIFICATE_FONT_INDEX", 0)))] if configured else []
    reg = fonts.first_installed(regular)
    if reg is None:
        raise FontMissing("no CJK font found: install fonts-noto-cjk or fonts-wqy-microhei")
    return reg


def _qr_png(data: str) -> io.BytesIO:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=6, border=2)
    buf.seek(0)
    return buf


def _labels() -> dict[str, str]:
    return {
        "title": _("Certificate of Training Completion"),
        "name": _("Name"),
        "id": _("ID number"),
        "course": _("Course"),
        "base": _("Training base"),
        "category": _("Category"),
        "hours": _("Hours"),
        "dates": _("Training dates"),
        "code": _("Certificate code"),
        "issued": _("Issue date"),
        "issuer": _("Issued by"),
        "scan": _("Scan to verify, or enter the code at"),
        "revoked": _("REVOKED"),
    }


def _category_title(value: str) -> str:
    try:
        return Category(value).title
    except ValueError:
        return value


def render_certificate_pdf(cert: Certificate, lang: str = "zh_CN") -> bytes:
    """The certificate document. ``lang`` is zh_CN (default) or en."""
    base_url = public_base_url()
    # one face only: parsing a CJK collection is most of the rendering time (a bold face doubles it)
    font_path, font_index = _font_candidates()
    with force_locale(lang):
        labels = _labels()
        category = _category_title(cert.category)
        dates = _("%(start)s to %(end)s", start=cert.start_date.isoformat(), end=cert.end_date.isoformat())
        hours = _("%(h)s hours", h=format_hours(cert.hours))
        statement = _(
            "This is to certify that %(name)s attended the course “%(course)s” run by %(base)s "
            "from %(start)s to %(end)s, met its completion requirements and is credited with %(hours)s "
            "of %(category)s study.",
            name=cert.holder_name, course=cert.course_title, base=cert.base_name,
            start=cert.start_date.isoformat(), end=cert.end_date.isoformat(), hours=hours,
            # mid-sentence in English: "24 hours of public subject study", not "of Public subject"
            category=category.lower() if lang == "en" else category)
        revoked_note = (_("Revoked on %(date)s.", date=cert.revoked_at.date().isoformat())
                        if cert.state == CertificateState.REVOKED and cert.revoked_at else "")

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(labels["title"] + " " + codes.display(cert.code))
    pdf.set_author(cert.base_name)
    pdf.set_creator("NTBase")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", font_path, collection_font_number=font_index)
    pdf.add_page()
    w, h = pdf.w, pdf.h

    # frame
    pdf.set_draw_color(*PRIMARY)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, w - 20, h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, w - 26, h - 26)

    # title
    pdf.set_text_color(*PRIMARY)
    pdf.set_font("cjk", "", 28)
    pdf.set_xy(20, 32)
    pdf.cell(w - 40, 14, labels["title"], align="C")
    pdf.set_font("cjk", "", 11)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(20, 48)
    pdf.cell(w - 40, 6, codes.display(cert.code), align="C")

    # statement
    pdf.set_text_color(*DARK)
    pdf.set_font("cjk", "", 13)
    pdf.set_xy(28, 64)
    pdf.multi_cell(w - 56, 8, statement, align="L")

    # facts
    rows = [
        (labels["name"], cert.holder_name),
        (labels["id"], cert.holder_id_masked),
        (labels["course"], cert.course_title),
        (labels["base"], cert.base_name),
        (labels["category"], category),
        (labels["hours"], format_hours(cert.hours)),
        (labels["dates"], dates),
        (labels["code"], codes.display(cert.code)),
        (labels["issued"], cert.issued_at.date().isoformat()),
    ]
    y = max(pdf.get_y() + 8, 110)
    label_w = 42
    pdf.set_draw_color(217, 222, 229)
    pdf.set_line_width(0.2)
    for label, value in rows:
        pdf.set_xy(28, y)
        pdf.set_font("cjk", "", 10.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_w, 9, label)
        pdf.set_font("cjk", "", 12)
        pdf.set_text_color(*DARK)
        pdf.multi_cell(w - 56 - label_w, 9, value)
        y = max(pdf.get_y(), y + 9)
        pdf.line(28, y, w - 28, y)

    # QR and issuer
    qr_size = 46
    qr_y = h - 20 - 14 - qr_size - 12
    pdf.image(_qr_png(qr_url(cert, base_url)), x=26, y=qr_y, w=qr_size, h=qr_size)
    pdf.set_font("cjk", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(24, qr_y + qr_size + 1)
    pdf.multi_cell(qr_size + 40, 4.2, labels["scan"] + "\n" + base_url.rstrip("/") + "/verify")

    pdf.set_text_color(*DARK)
    pdf.set_font("cjk", "", 10.5)
    pdf.set_xy(w - 28 - 90, qr_y + 8)
    pdf.cell(90, 7, labels["issuer"], align="R")
    pdf.set_font("cjk", "", 15)
    pdf.set_xy(w - 28 - 90, qr_y + 16)
    pdf.cell(90, 9, cert.base_name, align="R")
    pdf.set_font("cjk", "", 11)
    pdf.set_xy(w - 28 - 90, qr_y + 27)
    pdf.cell(90, 7, cert.issued_at.date().isoformat(), align="R")
    # the base's seal over the issuer line (ntbase/bases/seal.py); the signature stays the proof

    draw_on_pdf(pdf, cert.base_id, center_x=w - 28 - 24, center_y=qr_y + 20)

    if revoked_note:
        pdf.set_text_color(*DANGER)
        pdf.set_font("cjk", "", 40)
        with pdf.rotation(30, x=w / 2, y=h / 2):
            pdf.set_xy(0, h / 2 - 12)
            pdf.cell(w, 24, labels["revoked"], align="C")
        pdf.set_font("cjk", "", 12)
        pdf.set_xy(20, 56)
        pdf.cell(w - 40, 6, revoked_note, align="C")
    return bytes(pdf.output())


def qr_svg(data: str, scale: int = 4) -> str:
    """An inline SVG QR code (no XML declaration), for HTML pages."""
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=scale, border=2, xmldecl=False,
                                     svgns=True, svgclass="qr", lineclass=None, omitsize=True)
    return buf.getvalue().decode()

"""Roster export as CSV and XLSX, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab / carriage return) would be run as a formula
by Excel or WPS; such text cells get a leading apostrophe (OWASP "CSV injection").
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ntbase.enrollment.models import Enrollment

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def roster_table(rows: list[Enrollment]) -> tuple[list[str], list[list]]:
    header = [_("Name"), _("ID number (masked)"), _("Mobile number"), _("Employer"), _("Status"),
              _("Enrolled at"), _("Source"), _("Payment status"), _("Paid (yuan)"), _("Refunded (yuan)"),
              _("Payment method"), _("Invoice title"), _("Taxpayer number")]
    table = []
    for e in rows:
        profile = e.learner.profile
        # a seat an employer paid for: its share of the group payment
        pays = list(e.payments) + [line.payment for line in e.payment_lines]
        pay = pays[-1] if pays else None
        table.append([
            profile.real_name if profile else e.learner.name,
            profile.id_number_masked if profile else "",
            profile.mobile if profile else "",
            profile.employer if profile else "",
            e.state.title,
            e.created_at.strftime("%Y-%m-%d %H:%M"),
            {"manual": _("Base (manual)"), "group": _("Employer (group)")}.get(e.source, _("Learner")),
            pay.state.title if pay else (_("Free") if e.price_fen == 0 else ""),
            _yuan(e.amount_paid_fen),
            _yuan(e.refunded_fen),
            (pay.method or "") if pay else "",
            next((p.invoice_title for p in reversed(pays) if p.invoice_title), ""),
            next((p.invoice_taxpayer_no for p in reversed(pays) if p.invoice_taxpayer_no), ""),
        ])
    return header, table


def to_csv(header: list[str], table: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    for row in table:
        writer.writerow([safe_cell(v) if isinstance(v, str) else f"{v}" for v in row])
    # BOM: Excel on Chinese Windows opens UTF-8 CSV correctly only with it
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(header: list[str], table: list[list], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "".join(c for c in (title or "roster") if c not in '[]:*?/\\')[:31] or "roster"
    ws.append([safe_cell(h) for h in header])
    for row in table:
        ws.append([safe_cell(v) for v in row])
    for idx, h in enumerate(header, start=1):
        width = max([len(str(h))] + [len(str(r[idx - 1])) for r in table[:200]]) + 2
        ws.column_dimensions[get_column_letter(idx)].width = min(max(width, 8), 40)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""What the roster export holds: one row per enrollment, with its payment.

Writing it as CSV or XLSX, with every formula-like cell escaped, is
``ntbase.kernel.tabular``'s (``download``).
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from ntbase.enrollment.models import Enrollment


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

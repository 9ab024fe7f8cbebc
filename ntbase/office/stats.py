"""Statistics for the office: enrollments per month per base, public vs specialized hours,
and the share of learners who meet the year's requirement by employer and profession.

Each figure is one aggregate query, except compliance: the yearly rules (caps, exemptions,
round certificates) live in the pure hours engine, so learners' rows are loaded in bulk
(a fixed number of statements) and judged in Python. Charts are server-rendered SVG.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ntbase.accounts.models import LearnerProfile
from ntbase.bases.models import TrainingBase
from ntbase.hours import engine
from ntbase.hours.models import EntryState, LedgerEntry
from ntbase.kernel.db import db
from ntbase.kernel.enums import profession_title

MONTHS = list(range(1, 13))


def enrollments_by_month(year: int) -> list[dict]:
    """[{base_id, base, months: {1: n, ...}, total}] for confirmed or completed enrollments,
    by the month they were confirmed (one statement)."""
    from ntbase.catalog.models import Course
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    when = sa.func.coalesce(Enrollment.confirmed_at, Enrollment.created_at)
    month = sa.extract("month", when)
    t0, t1 = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    rows = db.session.execute(
        sa.select(TrainingBase.id, TrainingBase.name, month.label("m"), sa.func.count(Enrollment.id))
        .join(Course, Course.id == Enrollment.course_id).join(TrainingBase, TrainingBase.id == Course.base_id)
        .where(Enrollment.state.in_((EnrollmentState.CONFIRMED, EnrollmentState.COMPLETED)),
               when >= t0, when < t1)
        .group_by(TrainingBase.id, TrainingBase.name, month).order_by(TrainingBase.id)).all()
    bases: dict[int, dict] = {}
    for base_id, name, m, n in rows:
        b = bases.setdefault(base_id, {"base_id": base_id, "base": name, "months": dict.fromkeys(MONTHS, 0),
                                       "total": 0})
        b["months"][int(m)] += int(n)
        b["total"] += int(n)
    return list(bases.values())


def _entry_hours_sql():
    """What an accepted entry is worth (Art. 17), in SQL, from the engine's own rate tables."""
    whens = [(sa.and_(LedgerEntry.kind == "conference", LedgerEntry.level == level), LedgerEntry.days * rate)
             for level, rate in engine.CONFERENCE_RATES.items()]
    whens += [(LedgerEntry.kind == kind, LedgerEntry.days * rate) for kind, rate in engine.DAY_RATES.items()]
    # notice §3: transfers from outside the Yangtze River Delta are not counted
    whens.append((sa.and_(LedgerEntry.kind == "transfer", LedgerEntry.region.notin_(engine.DELTA_REGIONS)), 0))
    return sa.case(*whens, else_=sa.func.coalesce(LedgerEntry.hours, 0))


def hours_by_category(year: int) -> list[dict]:
    """Accepted hours per category (before the yearly caps), one statement."""
    rows = db.session.execute(
        sa.select(LedgerEntry.category, sa.func.count(LedgerEntry.id), sa.func.sum(_entry_hours_sql()),
                  sa.func.count(sa.distinct(LedgerEntry.learner_id)))
        .where(LedgerEntry.year == year, LedgerEntry.state == EntryState.ACCEPTED)
        .group_by(LedgerEntry.category)).all()
    found = {cat: (n, Decimal(str(h or 0)).quantize(Decimal("0.1")), people) for cat, n, h, people in rows}
    return [{"category": c, "entries": found.get(c, (0, Decimal("0.0"), 0))[0],
             "hours": found.get(c, (0, Decimal("0.0"), 0))[1], "learners": found.get(c, (0, 0, 0))[2]}
            for c in engine.CATEGORIES]


@dataclass
class ShareRow:
    key: str
    label: str
    learners: int
    complying: int

    @property
    def share(self) -> float:
        return round(self.complying * 100 / self.learners, 1) if self.learners else 0.0


def compliance_shares(year: int) -> tuple[list[ShareRow], list[ShareRow], ShareRow]:
    """(by employer, by profession series, overall) for every registered learner."""
    from ntbase.office.person import assess_many

    verdicts = assess_many(year)
    profiles = db.session.execute(
        sa.select(LearnerProfile.user_id, LearnerProfile.employer, LearnerProfile.profession_series)).all()
    by_emp: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_prof: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for uid, employer, series in profiles:
        ok = int(bool(verdicts.get(uid) and verdicts[uid].complies))
        for bucket in (by_emp[(employer or "").strip()], by_prof[series or "other"], total):
            bucket[0] += 1
            bucket[1] += ok
    unknown = _("(employer not given)")
    emp = sorted((ShareRow(k, k or unknown, n, c) for k, (n, c) in by_emp.items()),
                 key=lambda r: (-r.learners, r.label))
    prof = sorted((ShareRow(k, profession_title(k), n, c) for k, (n, c) in by_prof.items()),
                  key=lambda r: (-r.learners, r.label))
    return emp, prof, ShareRow("all", _("All learners"), total[0], total[1])


# ---------------------------------------------------------------- SVG charts
def bar_chart(items: list[tuple[str, float]], *, title: str, unit: str = "", max_value: float | None = None,
              color: str = "#0b5cab") -> Markup:
    """Horizontal bars with their labels and values; accessible (role=img + title).

    The drawing is narrow (420 units) so that its 14-unit text stays readable when a
    390 px phone scales it down, and it is capped at 560 px wide on a desktop.
    """
    width, label_w, row_h, pad, font = 420, 140, 30, 6, 14
    height = max(1, len(items)) * row_h + 2 * pad
    top = max_value if max_value is not None else max([v for _l, v in items] + [0])
    parts = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    bar_w = width - label_w - 64
    for i, (label, value) in enumerate(items):
        y = pad + i * row_h
        w = 0 if not top else max(0.0, float(value) / float(top) * bar_w)
        text = label if len(label) <= 9 else label[:8] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end" font-size="{font}" '
                     f'fill="#1d2733">{escape(text)}<title>{escape(label)}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" '
                     f'fill="{color}"><title>{escape(label)}: {escape(_fmt(value))}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 19}" font-size="{font}" '
                     f'fill="#3d4853">{escape(_fmt(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def month_chart(months: dict[int, int], *, title: str, color: str = "#0b5cab") -> Markup:
    """Twelve columns, January to December (a 240-unit drawing: readable in a card)."""
    width, height, pad_b, pad_t, font = 240, 120, 16, 14, 10
    top = max(list(months.values()) + [1])
    col = width / 12
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    parts.append(f'<line x1="0" y1="{height - pad_b}" x2="{width}" y2="{height - pad_b}" stroke="#c9d0d8" '
                 f'stroke-width="1"/>')
    for m in MONTHS:
        n = months.get(m, 0)
        h = (height - pad_b - pad_t) * n / top
        x = (m - 1) * col + 2
        y = height - pad_b - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col - 4:.1f}" height="{h:.1f}" fill="{color}">'
                     f'<title>{m}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + (col - 4) / 2:.1f}" y="{y - 3:.1f}" font-size="{font}" '
                         f'text-anchor="middle" fill="#3d4853">{n}</text>')
        parts.append(f'<text x="{x + (col - 4) / 2:.1f}" y="{height - 4}" font-size="{font}" '
                     f'text-anchor="middle" fill="#3d4853">{m}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}" if float(value).is_integer() else str(value)


# ---------------------------------------------------------------- export
def export_table(kind: str, year: int) -> tuple[list[str], list[list[str]]]:
    from ntbase.kernel.enums import Category
    from ntbase.office.bulk import escape_cell

    if kind == "enrollments":
        header = [_("Base")] + [str(m) for m in MONTHS] + [_("Total")]
        rows = [[b["base"]] + [str(b["months"][m]) for m in MONTHS] + [str(b["total"])]
                for b in enrollments_by_month(year)]
    elif kind == "hours":
        header = [_("Category"), _("Entries"), _("Learners"), _("Hours")]
        rows = [[Category(r["category"]).title, str(r["entries"]), str(r["learners"]), str(r["hours"])]
                for r in hours_by_category(year)]
    elif kind in ("employers", "professions"):
        emp, prof, _all = compliance_shares(year)
        header = [_("Employer") if kind == "employers" else _("Profession series"), _("Learners"),
                  _("Meeting the requirement"), _("Share (%)")]
        rows = [[r.label, str(r.learners), str(r.complying), f"{r.share:.1f}"]
                for r in (emp if kind == "employers" else prof)]
    else:
        raise ValueError(kind)
    return [escape_cell(h) for h in header], [[escape_cell(c) for c in row] for row in rows]

"""Statistics for the office: enrollments per month per base, public vs specialized hours,
and the share of learners who meet the year's requirement by employer and profession.

Each figure is one aggregate query; compliance reads the kept yearly status (the engine's
verdict, kept up to date with the ledger). At city scale (100k learners, a million ledger
entries) the four aggregates still scan hundreds of thousands of rows, so the page reads a
``snapshot`` of them computed at most every ``STATS_MAX_AGE`` seconds (5 minutes) and shared
by every app server; the page says when it was computed and offers to recompute it. The
charts' data are built in ``charts`` (drawn in the browser by ECharts); the tables carry the
same numbers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ntbase.accounts.models import LearnerProfile
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course
from ntbase.employers.models import Employer, Membership, MembershipState
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours import engine
from ntbase.hours.models import EntryState, LedgerEntry, YearlyStatus
from ntbase.kernel import audit, cache
from ntbase.kernel.db import CST, db
from ntbase.kernel.enums import Category, profession_title

audit.register_actions({"stats.export": _l("Exported statistics")})

MONTHS = list(range(1, 13))


def enrollments_by_month(year: int) -> list[dict]:
    """[{base_id, base, months: {1: n, ...}, total}] for confirmed or completed enrollments,
    by the month they were confirmed (one statement)."""
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


def _shares_by(column, year: int) -> list[tuple[str, int, int]]:
    """(group, learners, meeting the requirement) from the kept yearly status: one statement.
    A learner with nothing kept for the year has counted nothing, so does not comply.
    ``column`` may use the learner's current employer (``Employer``), when they have one."""
    met = sa.func.sum(sa.case((YearlyStatus.complies.is_(True), 1), else_=0))
    return db.session.execute(
        sa.select(column, sa.func.count(LearnerProfile.user_id), met)
        .select_from(LearnerProfile)
        .outerjoin(YearlyStatus, sa.and_(YearlyStatus.learner_id == LearnerProfile.user_id,
                                         YearlyStatus.year == year))
        .outerjoin(Membership, sa.and_(Membership.learner_id == LearnerProfile.user_id,
                                       Membership.state == MembershipState.ACTIVE))
        .outerjoin(Employer, Employer.id == Membership.employer_id)
        .group_by(column)).all()


def compliance_shares(year: int) -> tuple[list[ShareRow], list[ShareRow], ShareRow]:
    """(by employer, by profession series, overall) for every registered learner, read from
    the kept yearly status (``ntbase.hours.status``): two statements at any scale."""
    by_emp: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    # the real employer (a current membership) first, else what the learner typed
    employer_name = sa.func.coalesce(Employer.name, sa.func.trim(sa.func.coalesce(LearnerProfile.employer, "")))
    for employer, n, c in _shares_by(employer_name, year):
        by_emp[employer or ""][0] += n
        by_emp[employer or ""][1] += int(c or 0)
    by_prof: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for series, n, c in _shares_by(LearnerProfile.profession_series, year):
        by_prof[series or "other"][0] += n
        by_prof[series or "other"][1] += int(c or 0)
    total = [sum(n for n, _c in by_prof.values()), sum(c for _n, c in by_prof.values())]
    unknown = _("(employer not given)")
    emp = sorted((ShareRow(k, k or unknown, n, c) for k, (n, c) in by_emp.items()),
                 key=lambda r: (-r.learners, r.label))
    prof = sorted((ShareRow(k, profession_title(k), n, c) for k, (n, c) in by_prof.items()),
                  key=lambda r: (-r.learners, r.label))
    return emp, prof, ShareRow("all", _("All learners"), total[0], total[1])


@dataclass
class Snapshot:
    """Every figure of the page for one year, as computed at ``computed_at`` (Unix time)."""

    year: int
    enrollments: list[dict]
    hours: list[dict]
    employers: list[ShareRow]
    professions: list[ShareRow]
    overall: ShareRow
    computed_at: float = 0.0

    @property
    def computed(self) -> datetime:
        """When, as naive China Standard Time (the clock of every page)."""
        return datetime.fromtimestamp(self.computed_at, CST).replace(tzinfo=None)


def _compute(year: int) -> Snapshot:
    emp, prof, overall = compliance_shares(year)
    return Snapshot(year, enrollments_by_month(year), hours_by_category(year), emp, prof, overall)


def snapshot(year: int, *, fresh: bool = False) -> Snapshot:
    """The year's figures, recomputed at most every ``STATS_MAX_AGE`` seconds (``fresh``: now).
    Labels are translated, so each language keeps its own."""
    max_age = int(current_app.config.get("STATS_MAX_AGE", 300))
    snap, at = cache.kept(f"stats:{year}:{get_locale()}", lambda: _compute(year), max_age=max_age, fresh=fresh)
    snap.computed_at = at
    return snap


# ---------------------------------------------------------------- export
def export_table(kind: str, year: int) -> tuple[list[str], list[list[str]]]:
    """One table of the page, from the same snapshot (the export matches what was shown)."""
    snap = snapshot(year)
    if kind == "enrollments":
        header = [_("Base")] + [str(m) for m in MONTHS] + [_("Total")]
        rows = [[b["base"]] + [str(b["months"][m]) for m in MONTHS] + [str(b["total"])]
                for b in snap.enrollments]
    elif kind == "hours":
        header = [_("Category"), _("Entries"), _("Learners"), _("Hours")]
        rows = [[Category(r["category"]).title, str(r["entries"]), str(r["learners"]), str(r["hours"])]
                for r in snap.hours]
    elif kind in ("employers", "professions"):
        emp, prof = snap.employers, snap.professions
        header = [_("Employer") if kind == "employers" else _("Profession series"), _("Learners"),
                  _("Meeting the requirement"), _("Share (%)")]
        rows = [[r.label, str(r.learners), str(r.complying), f"{r.share:.1f}"]
                for r in (emp if kind == "employers" else prof)]
    else:
        raise ValueError(kind)
    return header, rows

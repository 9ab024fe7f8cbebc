"""Demo hours: the policies, and learner@demo.ntbase's ledger — accepted history for the two
previous years, an accepted conference and a pending entry this year. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from ntbase.accounts.models import AppointmentPeriod, User
from ntbase.hours.evidence import store_evidence
from ntbase.hours.models import EntryState, LedgerEntry
from ntbase.hours.policy import ensure_default_policies
from ntbase.hours.services import overlapping_entries
from ntbase.kernel.db import db, now

# the smallest valid PDF: enough for the evidence check and a viewer
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _entries(today: date) -> list[dict]:
    y = today.year
    recent = max(date(y, 1, 2), today - timedelta(days=20))
    return [
        # two years ago: complies (24 public + 11 days of training classes = 90)
        dict(year=y - 2, kind="online_course", category="public", hours=Decimal("24.0"),
             title="专业技术人员公需科目网络培训", organizer="江苏省专业技术人员继续教育平台",
             start_date=date(y - 2, 3, 1), end_date=date(y - 2, 3, 20), state=EntryState.ACCEPTED),
        dict(year=y - 2, kind="training_class", category="specialized", days=Decimal("11.0"),
             title="临床医学新进展培训班", organizer="江苏省卫生健康委员会",
             start_date=date(y - 2, 9, 2), end_date=date(y - 2, 9, 12), state=EntryState.ACCEPTED),
        # last year: 10 h short (40 public, of which 30 count, + 50 specialized)
        dict(year=y - 1, kind="online_course", category="public", hours=Decimal("40.0"),
             title="公需科目：数字经济与创新发展", organizer="南通职业大学",
             start_date=date(y - 1, 4, 1), end_date=date(y - 1, 4, 30), state=EntryState.ACCEPTED),
        dict(year=y - 1, kind="transfer", category="specialized", region="shanghai", hours=Decimal("50.0"),
             title="上海市继续医学教育学时", organizer="上海市卫生健康委员会",
             start_date=date(y - 1, 1, 5), end_date=date(y - 1, 6, 30), state=EntryState.ACCEPTED),
        # this year: an accepted national conference and a pending training class
        dict(year=y, kind="conference", category="specialized", level="national", days=Decimal("2.0"),
             title="全国急诊医学学术年会", organizer="中华医学会",
             start_date=date(y, 5, 16), end_date=date(y, 5, 17), state=EntryState.ACCEPTED),
        dict(year=recent.year, kind="training_class", category="specialized", days=Decimal("1.5"),
             title="院感防控专题讲座", organizer="南通市第一人民医院",
             start_date=recent - timedelta(days=1), end_date=recent, state=EntryState.PENDING),
    ]


def load() -> None:
    ensure_default_policies()
    learner = db.session.scalar(sa.select(User).where(User.email == "learner@demo.ntbase"))
    if learner is None:
        return
    office = db.session.scalar(sa.select(User).where(User.email == "office@demo.ntbase"))
    today = now().date()
    for values in _entries(today):
        exists = db.session.scalar(sa.select(LedgerEntry.id).where(
            LedgerEntry.learner_id == learner.id, LedgerEntry.title == values["title"],
            LedgerEntry.year == values["year"]))
        if exists:
            continue
        evidence = store_evidence(learner.id, values["title"] + ".pdf", DEMO_PDF)
        entry = LedgerEntry(learner_id=learner.id, source="external", evidence_id=evidence.id, **values)
        if entry.state == EntryState.ACCEPTED:
            entry.reviewed_by_id = office.id if office else None
            entry.reviewed_at = now()
            entry.review_reason = "证明材料齐全"
        db.session.add(entry)
        db.session.flush()
        entry.flagged_overlap = bool(overlapping_entries(entry))
    if not db.session.scalar(sa.select(AppointmentPeriod.id).where(AppointmentPeriod.learner_id == learner.id)):
        db.session.add(AppointmentPeriod(learner_id=learner.id, start_year=today.year - 2, end_year=today.year,
                                         recorded_by_id=learner.id))
    db.session.flush()

"""Self-study recorded by the employer (Art. 17(6)) enters the ledger pending for the
office, within the engine's 1/3 cap; ``hours.bulk.yearly_verdicts`` agrees with the
single-learner assessment and runs a fixed number of statements."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import AppointmentPeriod
from ntbase.employers import services
from ntbase.employers.models import SelfStudyRecord
from ntbase.hours import bulk, status
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry
from ntbase.hours.services import add_adjustment, assess_learner_year, review_entry, withdraw_entry
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests.employers.helpers import PDF, add_member, make_employer, snapshot
from tests.factories import make_learner

YEAR = now().year


@pytest.fixture()
def member(app_ctx, office):
    employer, admin = make_employer("南通市第一中学", office=office)
    learner = make_learner(real_name="徐文")
    m = add_member(employer, admin, learner, "语文组")
    db.session.commit()
    return employer, admin, learner, m


def _data(hours="12", **kw):
    today = now().date()
    values = dict(title="课程标准自学", start_date=today - timedelta(days=20), end_date=today - timedelta(days=1),
                  hours=hours, plan="学期自学计划", organisation="教研组统一组织", examination="笔试 90 分，合格")
    values.update(kw)
    return services.SelfStudyInput(**values)


def test_self_study_is_pending_for_the_office_then_counts(app_ctx, member, office):
    employer, admin, learner, m = member
    record = services.record_self_study(employer, m, admin, _data(), filename="考核.pdf", content=PDF)
    db.session.commit()
    entry = record.ledger_entry
    assert (entry.kind, entry.state, entry.source, entry.organizer, entry.hours) == (
        "self_study", EntryState.PENDING, "employer", "南通市第一中学", 12)
    assert assess_learner_year(learner.id, entry.year).self_study_hours == 0  # pending does not count
    with pytest.raises(DomainError):
        withdraw_entry(entry.id, learner.id)  # the employer's record, not the learner's to withdraw
    review_entry(entry.id, True, "", office.id)
    assert assess_learner_year(learner.id, entry.year).self_study_counted == 12
    assert db.session.scalar(sa.select(AuditLog.subject_user_id).where(AuditLog.action == "employer.self_study")) == learner.id


def test_the_one_third_cap_applies_as_to_any_self_study(app_ctx, member, office):
    employer, admin, learner, m = member
    for hours in ("20", "25"):
        rec = services.record_self_study(employer, m, admin, _data(hours), filename="a.pdf", content=PDF)
        review_entry(rec.ledger_entry_id, True, "", office.id)
    a = assess_learner_year(learner.id, rec.ledger_entry.year)
    assert a.self_study_hours == 45 and a.self_study_counted == 30  # Art. 17(6): at most 1/3 of 90


@pytest.mark.parametrize("change, field", [({"hours": "0"}, "hours"), ({"plan": " "}, "plan"),
                                           ({"examination": ""}, "examination"),
                                           ({"end_date": now().date() + timedelta(days=3)}, "end_date")])
def test_bad_self_study_input_is_refused_at_its_field(app_ctx, member, change, field):
    employer, admin, _learner, m = member
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        services.record_self_study(employer, m, admin, _data(**change), filename="a.pdf", content=PDF)
    assert exc.value.field == field
    db.session.rollback()
    assert snapshot() == before


def test_evidence_is_required_and_checked(app_ctx, member):
    employer, admin, _learner, m = member
    for content in (b"", b"GIF89a not a pdf"):
        with pytest.raises(DomainError) as exc:
            services.record_self_study(employer, m, admin, _data(), filename="x.gif", content=content)
        assert exc.value.field == "evidence"
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(SelfStudyRecord.id))) == 0


def test_the_self_study_page(client, login, member):
    employer, admin, learner, m = member
    login(admin)
    today = now().date()
    r = client.post(f"/employer/staff/{m.id}/self-study", content_type="multipart/form-data", data={
        "title": "课程标准自学", "start_date": (today - timedelta(days=5)).isoformat(), "end_date": today.isoformat(),
        "hours": "8", "plan": "计划", "organisation": "组织", "examination": "考核合格",
        "evidence": (__import__("io").BytesIO(PDF), "考核.pdf")})
    assert r.status_code == 302
    page = client.get("/employer/self-study").get_data(as_text=True)
    assert "课程标准自学" in page and 'data-state="pending"' in page


# ---------------------------------------------------------------- hours.bulk

def test_bulk_verdicts_match_the_single_learner_assessment(app_ctx, office):
    a, b, c, d = (make_learner(real_name=n) for n in "甲乙丙丁")
    add_adjustment(a.id, 2022, "24", "public", "公需", office.id)
    add_adjustment(a.id, 2022, "66", "specialized", "专业", office.id)
    add_adjustment(b.id, 2022, "40", "public", "公需", office.id)  # example 2: 30 counted
    add_adjustment(b.id, 2022, "50", "specialized", "专业", office.id)
    db.session.add(LedgerEntry(learner_id=c.id, year=2022, kind="self_study", category="specialized", hours=45,
                               title="自学", state=EntryState.ACCEPTED, source="employer"))
    add_adjustment(c.id, 2022, "24", "public", "公需", office.id)
    db.session.add(ExemptionEvent(learner_id=d.id, kind="degree", year=2022, title="硕士", state=EntryState.ACCEPTED))
    db.session.add(AppointmentPeriod(learner_id=d.id, start_year=2021, end_year=2023))
    add_adjustment(d.id, 2022, "24", "public", "公需", office.id)
    status.refresh([c.id, d.id])  # the rows added by hand above, as the ledger's services keep them
    db.session.commit()
    verdicts = bulk.yearly_verdicts([a.id, b.id, c.id, d.id], 2022)
    detailed = bulk.yearly_verdicts([a.id, b.id, c.id, d.id], 2022, detail=True)
    for learner in (a, b, c, d):
        single = assess_learner_year(learner.id, 2022)
        v = verdicts[learner.id]
        assert (v.complies, v.counted_total, v.counted_public) == (
            single.complies, bulk.engine.round1(single.counted_total), bulk.engine.round1(single.public_hours))
    assert [verdicts[x.id].complies for x in (a, b, c, d)] == [True, False, False, True]
    assert verdicts[b.id].shortfall_total == 10 and verdicts[c.id].counted_total == 54
    assert {k: v.complies for k, v in detailed.items()} == {k: v.complies for k, v in verdicts.items()}
    assert detailed[c.id].hours_by_category == {"self_study": 45, "public": 24}
    # a select of ids works the same, and an unknown learner gets an empty year
    same = bulk.yearly_verdicts(sa.select(LedgerEntry.learner_id).distinct(), 2022)
    assert {k: v.complies for k, v in same.items()} == {k: v.complies for k, v in verdicts.items()}
    assert bulk.yearly_verdicts([999999], 2022)[999999].shortfall_total == 90
    assert bulk.yearly_verdicts([], 2022) == {}


def test_bulk_verdicts_use_a_fixed_number_of_statements(app_ctx, office, count_queries):
    ids = [make_learner().id for _ in range(3)]
    db.session.commit()
    bulk.yearly_verdicts(ids, YEAR)
    with count_queries() as q:
        bulk.yearly_verdicts(ids, YEAR)
    small = q.count
    ids += [make_learner().id for _ in range(30)]
    for uid in ids:
        add_adjustment(uid, YEAR, "30", "specialized", "x", office.id)
    db.session.commit()
    with count_queries() as q:
        verdicts = bulk.yearly_verdicts(ids, YEAR)
    assert q.count == small <= 5 and len(verdicts) == 33


def test_learners_with_the_same_year_each_get_their_own_verdict(app_ctx, office):
    same = [make_learner() for _ in range(3)]
    for u in same:  # identical years, different titles: judged once, reported for each
        add_adjustment(u.id, 2023, "24", "public", f"公需 {u.id}", office.id)
        add_adjustment(u.id, 2023, "66", "specialized", f"专业 {u.id}", office.id)
    other = make_learner()
    add_adjustment(other.id, 2023, "10", "public", "公需", office.id)
    db.session.commit()
    verdicts = bulk.yearly_verdicts([u.id for u in same] + [other.id], 2023)
    assert [verdicts[u.id].learner_id for u in same] == [u.id for u in same]
    assert all(verdicts[u.id].complies for u in same) and not verdicts[other.id].complies
    assert verdicts[other.id].learner_id == other.id and verdicts[other.id].shortfall_public == 14

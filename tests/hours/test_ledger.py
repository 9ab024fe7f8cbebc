"""The ledger services: recording, evidence, overlap, review, appointment periods."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.hours import services
from ntbase.hours.evidence import MAX_EVIDENCE_BYTES, store_evidence
from ntbase.hours.models import EntryState, Evidence, ExemptionEvent, LedgerEntry
from ntbase.hours.policy import ensure_default_policies
from ntbase.hours.services import EntryInput, ExemptionInput
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests import factories
from tests.hours.factories import (
    TINY_JPEG,
    TINY_PDF,
    make_completion,
    make_entry,
    make_evidence,
    tiny_png,
)

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _policies(app_ctx):
    ensure_default_policies()


def conference(learner, **kw):
    values = dict(kind="conference", title="全国学术年会", level="national", days="2",
                  start_date=date(2026, 5, 16), end_date=date(2026, 5, 17))
    values.update(kw)
    return services.add_external_entry(learner.id, EntryInput(**values), make_evidence(learner), today=TODAY)


def test_external_entry_is_pending_and_worth_its_art_17_hours(learner):
    e = conference(learner)
    assert e.state == EntryState.PENDING and e.year == 2026 and e.source == "external"
    assert services.entry_hours(e) == Decimal("20.0")
    assert services.assess_learner_year(learner.id, 2026).counted_total == 0
    assert services.assess_learner_year(learner.id, 2026, include_pending=True).counted_total == 20


def test_an_activity_spanning_two_years_counts_in_the_year_it_ends(learner):
    e = conference(learner, start_date=date(2025, 12, 31), end_date=date(2026, 1, 1))
    assert e.year == 2026


@pytest.mark.parametrize("kw, field", [
    ({"kind": "party"}, "kind"),
    ({"title": " "}, "title"),
    ({"days": "3"}, "days"),  # more days than 16-17 May
    ({"days": "1.3"}, "days"),
    ({"days": "-1"}, "days"),
    ({"days": "abc"}, "days"),
    ({"level": None}, "level"),
    ({"end_date": date(2026, 5, 15)}, "end_date"),
    ({"start_date": date(2026, 7, 1), "end_date": date(2026, 7, 2)}, "end_date"),  # after TODAY
    ({"start_date": date(2010, 5, 1), "end_date": date(2010, 5, 2)}, "end_date"),
    ({"kind": "transfer", "hours": "20", "region": None}, "region"),
    ({"kind": "online_course", "hours": "2.25"}, "hours"),
    ({"category": "fun"}, "category"),
])
def test_entry_validation_names_the_field(learner, kw, field):
    with pytest.raises(DomainError) as err:
        conference(learner, **kw)
    assert err.value.field == field and err.value.message


def test_evidence_is_required(learner):
    with pytest.raises(DomainError) as err:
        services.add_external_entry(learner.id, EntryInput(
            kind="self_study", title="自学", hours="10", start_date=date(2026, 1, 1),
            end_date=date(2026, 3, 1)), None, today=TODAY)
    assert err.value.field == "evidence"


@pytest.mark.parametrize("data, ctype", [(TINY_PDF, "application/pdf"), (TINY_JPEG, "image/jpeg"),
                                         (tiny_png(), "image/png")])
def test_evidence_type_comes_from_the_content(learner, data, ctype):
    ev = store_evidence(learner.id, "../../etc/passwd.exe", data)
    assert ev.content_type == ctype and ev.size == len(data) and len(ev.sha256) == 64
    assert "/" not in ev.filename and ev.filename.endswith((".pdf", ".jpg", ".png"))


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"<html>%PDF-", b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES])
def test_evidence_refused(learner, data):
    with pytest.raises(DomainError) as err:
        store_evidence(learner.id, "proof.pdf", data)
    assert err.value.field == "evidence"


def test_course_completion_enters_once(learner, base_a):
    course = factories.make_course(base_a, category="public", hours="24", start=datetime(2026, 3, 2, 9))
    enrollment, entry = make_completion(learner, course)
    from ntbase.hours.ledger import record_course_completion

    assert record_course_completion(enrollment) is entry
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1
    a = services.assess_learner_year(learner.id, 2026)
    assert a.public_hours == 24 and entry.state == EntryState.ACCEPTED


def test_database_refuses_a_second_entry_for_one_enrollment(learner, base_a):
    course = factories.make_course(base_a, start=datetime(2026, 3, 2, 9))
    enrollment, entry = make_completion(learner, course)
    db.session.add(LedgerEntry(learner_id=learner.id, year=2026, kind="course", hours=Decimal(1),
                               enrollment_id=enrollment.id, state=EntryState.ACCEPTED))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_overlapping_dates_are_flagged(learner, base_a):
    course = factories.make_course(base_a, start=datetime(2026, 5, 17, 9), sessions=1)
    make_completion(learner, course)
    e = conference(learner)
    assert e.flagged_overlap is True
    assert [o.kind for o in services.overlapping_entries(e)] == ["course"]
    # hour-based entries (online, self-study) are not attendance: never flagged
    online = services.add_external_entry(learner.id, EntryInput(
        kind="online_course", title="网课", hours="10", start_date=date(2026, 5, 1), end_date=date(2026, 5, 31)),
        make_evidence(learner), today=TODAY)
    assert online.flagged_overlap is False
    # a second conference on the same days flags both pending ones
    other = conference(learner, title="重复登记")
    assert other.flagged_overlap and e.flagged_overlap
    assert services.overlaps_for([other])[other.id]


def test_review_accept_counts_and_tells_the_learner(learner, office):
    e = conference(learner)
    services.review_entry(e.id, True, "", office.id)
    assert e.state == EntryState.ACCEPTED and e.reviewed_by_id == office.id and e.reviewed_at
    assert services.assess_learner_year(learner.id, 2026).counted_total == 20
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == learner.id))
    assert "已通过" in notice.title
    assert services.pending_entries() == []


def test_reject_needs_a_reason_and_never_counts(learner, office):
    e = conference(learner)
    with pytest.raises(DomainError) as err:
        services.review_entry(e.id, False, "  ", office.id)
    assert err.value.field == "reason"
    services.review_entry(e.id, False, "会议通知与日期不符", office.id)
    assert e.state == EntryState.REJECTED and e.review_reason == "会议通知与日期不符"
    assert services.assess_learner_year(learner.id, 2026, include_pending=True).counted_total == 0
    with pytest.raises(DomainError):
        services.review_entry(e.id, True, "", office.id)


def test_pending_queue_filters_by_learner(learner, office):
    other = factories.make_learner(real_name="李四")
    conference(learner)
    conference(other)
    assert len(services.pending_entries()) == 2
    assert [e.learner_id for e in services.pending_entries(learner.id)] == [learner.id]


def test_withdraw_only_own_pending(learner, office):
    e = conference(learner)
    ev_id = e.evidence_id
    other = factories.make_learner(real_name="李四")
    with pytest.raises(DomainError):
        services.withdraw_entry(e.id, other.id)
    services.withdraw_entry(e.id, learner.id)
    assert db.session.get(LedgerEntry, e.id) is None and db.session.get(Evidence, ev_id) is None
    e2 = conference(learner)
    services.review_entry(e2.id, True, "", office.id)
    with pytest.raises(DomainError):
        services.withdraw_entry(e2.id, learner.id)


def exemption(learner, **kw):
    return services.add_exemption_event(learner.id, ExemptionInput(**kw), make_evidence(learner), today=TODAY)


def test_exemption_events_count_once_accepted(learner, office):
    make_entry(learner, year=2026, category="public", hours=24)
    ev = exemption(learner, kind="papers", title="论文两篇", year="2026", provincial="2")
    assert services.assess_learner_year(learner.id, 2026).total_met is False
    services.review_exemption(ev.id, True, "刊物核实", office.id)
    a = services.assess_learner_year(learner.id, 2026)
    assert a.total_met and a.complies and a.exemptions_applied == ["papers"]


@pytest.mark.parametrize("kw, field", [
    ({"kind": "award", "year": "2026", "level": "city", "grade": "7"}, "grade"),
    ({"kind": "award", "year": "2026", "level": "", "grade": "3"}, "level"),
    ({"kind": "papers", "year": "2026"}, "provincial"),
    ({"kind": "degree", "year": "2027"}, "year"),
    ({"kind": "degree", "year": ""}, "year"),
    ({"kind": "public_round_certificate", "round": "x"}, "round"),
    ({"kind": "lottery", "year": "2026"}, "kind"),
    ({"kind": "book", "year": "2026", "characters": "-3"}, "characters"),
])
def test_exemption_validation(learner, kw, field):
    with pytest.raises(DomainError) as err:
        exemption(learner, title="说明", **kw)
    assert err.value.field == field


def test_degree_needs_a_recorded_period(learner, office):
    for y in (2024, 2025, 2026):
        make_entry(learner, year=y, category="public", hours=24)
    ev = exemption(learner, kind="degree", title="硕士学位", year="2025")
    services.review_exemption(ev.id, True, "", office.id)
    assert services.assess_learner_year(learner.id, 2024).total_met is False
    services.record_appointment_period(learner.id, "2024", "2026", learner.id)
    for y in (2024, 2025, 2026):
        assert services.assess_learner_year(learner.id, y).complies, y
    p = services.assess_learner_period(learner.id, 2024, 2026)
    assert p.average_met and p.public_met_every_year and p.average_counted_total == 90


def test_periods_do_not_overlap(learner):
    services.record_appointment_period(learner.id, 2021, 2023, learner.id)
    with pytest.raises(DomainError) as err:
        services.record_appointment_period(learner.id, 2023, 2025, learner.id)
    assert err.value.field == "start_year"
    with pytest.raises(DomainError) as err:
        services.record_appointment_period(learner.id, 2026, 2025, learner.id)
    assert err.value.field == "end_year"
    with pytest.raises(DomainError):
        services.record_appointment_period(learner.id, 2030, 2041, learner.id)
    services.record_appointment_period(learner.id, 2024, 2026, learner.id)


def test_office_adjustment_counts_at_once(learner, office):
    make_entry(learner, year=2025, kind="transfer", region="other", hours=30)
    assert services.assess_learner_year(learner.id, 2025).counted_total == 0
    services.add_adjustment(learner.id, "2025", "30", "specialized", "外省调入，经市人社局认定", office.id)
    a = services.assess_learner_year(learner.id, 2025)
    assert a.counted_total == 30 and any(r.rule == "Art. 17(7)" for r in a.reasons)
    with pytest.raises(DomainError) as err:
        services.add_adjustment(learner.id, "2025", "5", "specialized", "", office.id)
    assert err.value.field == "reason"


def test_statement_counts_only_accepted(learner):
    make_entry(learner, year=2026, hours=50, state=EntryState.PENDING)
    make_entry(learner, year=2026, hours=40)
    assert services.assess_learner_year(learner.id, 2026).counted_total == 40


def test_exemption_event_rows_keep_the_papers(learner):
    ev = exemption(learner, kind="papers", title="论文", year="2026", provincial="1", city="2", county="")
    row = db.session.get(ExemptionEvent, ev.id)
    assert (row.papers_provincial, row.papers_city, row.papers_county) == (1, 2, 0)


def test_now_is_used_by_default(learner):
    end = now().date() - timedelta(days=1)
    e = services.add_external_entry(learner.id, EntryInput(
        kind="training_class", title="培训", days="1", start_date=end, end_date=end), make_evidence(learner))
    assert e.year == end.year

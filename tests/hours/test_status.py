"""The kept yearly status equals a full recomputation, whatever sequence of changes led to
it (issue #14: kept, not recomputed), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntbase.hours import policy, services, status
from ntbase.hours.models import YearlyStatus
from ntbase.hours.policy import ensure_default_policies, load_rules
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests import factories
from tests.hours.factories import make_evidence

YEARS = st.integers(min_value=2019, max_value=2024)

add_adjustment = st.tuples(st.just("adjustment"), st.integers(0, 1), YEARS, st.integers(1, 60),
                           st.sampled_from(["public", "specialized", "elective"]))
add_external = st.tuples(st.just("external"), st.integers(0, 1), YEARS, st.integers(1, 40),
                         st.sampled_from(["online_course", "self_study", "training_class"]), st.booleans())
add_papers = st.tuples(st.just("papers"), st.integers(0, 1), YEARS, st.integers(0, 3), st.integers(0, 3),
                       st.booleans())
add_degree = st.tuples(st.just("degree"), st.integers(0, 1), YEARS, st.booleans())
add_period = st.tuples(st.just("period"), st.integers(0, 1), YEARS, st.integers(0, 4))
drop_period = st.tuples(st.just("drop_period"), st.integers(0, 1))
edit_policy = st.tuples(st.just("policy"), st.sampled_from([80, 90, 100]), st.sampled_from([20, 24]))
OPS = st.lists(st.one_of(add_adjustment, add_external, add_papers, add_degree, add_period, drop_period,
                         edit_policy), min_size=1, max_size=12)


def _apply(op, learners, officer) -> None:
    kind, *args = op
    try:
        if kind == "adjustment":
            who, year, hours, category = args
            services.add_adjustment(learners[who].id, year, hours, category, "特批", officer.id)
        elif kind == "external":
            who, year, hours, what, accept = args
            learner = learners[who]
            entry = services.add_external_entry(
                learner.id, services.EntryInput(kind=what, title="外部学习", start_date=date(year, 3, 1),
                                                end_date=date(year, 3, 2), hours=str(hours),
                                                days="1" if what == "training_class" else None),
                make_evidence(learner), today=date(2025, 1, 1))
            services.review_entry(entry.id, accept, "" if accept else "材料不全", officer.id)
        elif kind == "papers":
            who, year, provincial, city, accept = args
            learner = learners[who]
            event = services.add_exemption_event(
                learner.id, services.ExemptionInput(kind="papers", year=year, provincial=provincial, city=city,
                                                    title="论文"), make_evidence(learner), today=date(2025, 1, 1))
            services.review_exemption(event.id, accept, "" if accept else "不符", officer.id)
        elif kind == "degree":
            who, year, accept = args
            learner = learners[who]
            event = services.add_exemption_event(
                learner.id, services.ExemptionInput(kind="degree", year=year, title="硕士学位"),
                make_evidence(learner), today=date(2025, 1, 1))
            services.review_exemption(event.id, accept, "" if accept else "不符", officer.id)
        elif kind == "period":
            who, start, length = args
            services.record_appointment_period(learners[who].id, start, start + length, officer.id)
        elif kind == "drop_period":
            (who,) = args
            for p in services.periods_of(learners[who].id):
                services.delete_appointment_period(p.id, learners[who].id)
        elif kind == "policy":
            total, public = args
            row = policy.policy_for_effective_year(2021)
            policy.save_policy(policy_id=row.id, effective_year=2021, required_total=total,
                               required_public=public, public_cap_share="1/3", self_study_cap_share="1/3",
                               exemptions_cover_public=False, source="测试", reason="测试", actor_id=officer.id)
    except DomainError:
        db.session.rollback()  # a refused change changes nothing, as in a request


def _kept() -> dict:
    return {(r.learner_id, r.year): {k: getattr(r, k) for k in (
        "counted_total", "counted_public", "public_hours", "required_total", "required_public", "complies", "short_total",
        "short_public", "total_exempt", "policy_year")} for r in db.session.scalars(sa.select(YearlyStatus))}


def _recomputed(today: date) -> dict:
    rules, rounds = load_rules()
    ids = db.session.scalars(sa.select(status.learners_with_data().subquery().c[0])).all()
    entries, events, periods = status._load(ids)
    out = {}
    for learner_id in ids:
        for year, values in status.compute(learner_id, entries[learner_id], events[learner_id],
                                           periods[learner_id], rules, rounds, today).items():
            out[(learner_id, year)] = values
    return out


@pytest.fixture()
def people(app_ctx):
    ensure_default_policies()
    officer = factories.make_user(factories.Role.OFFICE)
    learners = [factories.make_learner(), factories.make_learner()]
    db.session.commit()
    return learners, officer


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_kept_status_equals_a_full_recomputation(people, ops):
    learners, officer = people
    for op in ops:
        _apply(op, learners, officer)
        db.session.commit()
    assert _kept() == _recomputed(now().date())


def test_rebuild_restores_rows_that_were_lost(people):
    learners, officer = people
    services.add_adjustment(learners[0].id, 2022, 66, "specialized", "特批", officer.id)
    services.add_adjustment(learners[0].id, 2022, 24, "public", "特批", officer.id)
    db.session.commit()
    kept = _kept()
    assert kept[(learners[0].id, 2022)]["complies"] is True
    db.session.execute(sa.delete(YearlyStatus))
    assert status.rebuild() == len(kept)
    assert _kept() == kept


def test_verdicts_for_many_learners_in_one_statement(people, count_queries):
    learners, officer = people
    services.add_adjustment(learners[0].id, 2022, 90, "specialized", "特批", officer.id)
    db.session.commit()
    ids = [learners[0].id, learners[1].id]
    with count_queries() as few:
        verdicts = status.verdicts(ids, 2022)
    with count_queries() as many:
        status.verdicts(ids + list(range(10_000, 10_500)), 2022)
    assert few.count == many.count, (few.statements, many.statements)  # fixed, whatever the number of learners
    assert sum("yearly_status" in st for st in few.statements) == 1
    assert verdicts[ids[0]].counted_total == 90 and not verdicts[ids[0]].complies  # no public hours
    assert verdicts[ids[1]].counted_total == 0 and verdicts[ids[1]].short_total == 90

"""The pure engine: no app, no database."""
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntbase.hours import engine
from ntbase.hours.engine import (
    Activity,
    EngineInputError,
    Exemption,
    Period,
    PolicyRule,
    assess_year,
)
from ntbase.hours.policy import default_rules

P2011, P2021 = default_rules()


def test_engine_imports_neither_flask_nor_sqlalchemy():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(engine))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not names & {"flask", "flask_babel", "sqlalchemy", "ntbase"}


def test_select_policy_takes_latest_row_in_force():
    assert engine.select_policy(default_rules(), 2011) == P2011
    assert engine.select_policy(default_rules(), 2020) == P2011
    assert engine.select_policy(default_rules(), 2021) == P2021
    assert engine.select_policy(default_rules(), 2030) == P2021
    with pytest.raises(EngineInputError):
        engine.select_policy(default_rules(), 2010)


@pytest.mark.parametrize("level, rate", [("international", 10), ("national", 10), ("regional", 10), ("local", 6)])
def test_conference_rates(level, rate):
    hours, used = engine.activity_hours(Activity("conference", days=D("1.5"), level=level))
    assert used == rate and hours == Fraction(3, 2) * rate


def test_rates_of_art_17():
    assert engine.activity_hours(Activity("talent_base_training", days=D(3)))[0] == 24
    assert engine.activity_hours(Activity("training_class", days=D("0.5")))[0] == 3
    with pytest.raises(EngineInputError):
        engine.activity_hours(Activity("training_class", days=D("0.3")))
    with pytest.raises(EngineInputError):
        engine.activity_hours(Activity("course", hours=D(-1)))
    with pytest.raises(EngineInputError):
        engine.activity_hours(Activity("course", hours=2.5))  # floats refused: Decimal only


def test_unrounded_comparison_and_one_decimal_display():
    # a policy of 80 h: the public cap is 80/3 = 26.666…, compared unrounded
    p = PolicyRule(2030, D(80), D(20), source="t")
    a = assess_year(2030, [Activity("course", hours=D("26.7"), category="public"),
                           Activity("course", hours=D("53.3"))], [], p)
    assert a.public_counted == Fraction(80, 3)
    assert a.counted_total < 80 and a.total_met is False  # 79.966… is not 80
    assert a.as_contract()["counted_total"] == 80.0  # shown rounded
    # what is missing rounds up: a year that is not met never shows "0.0 short"
    assert a.as_contract()["shortfall"]["total"] == 0.1
    assert any("还差 0.1 学时" in r.message_zh for r in a.reasons)


def test_reasons_are_bilingual():
    a = assess_year(2021, [Activity("course", hours=D(24), category="public")], [], P2021)
    for r in a.reasons:
        assert r.message_zh and r.message_en and r.message_zh != r.message_en
    assert a.as_contract("en")["reasons"][0]["message"].startswith("Requirement for 2021")


def test_period_exemption_outside_its_period_or_year():
    degree = Exemption("degree", year=2019)
    a = assess_year(2022, [], [degree], P2021, appointment_period=Period(2021, 2023))
    assert a.total_met is False and a.exemptions_applied == []
    b = assess_year(2024, [], [Exemption("degree", year=2022)], P2021, appointment_period=Period(2021, 2023))
    assert b.total_met is False


def test_before_2021_an_exemption_covers_the_whole_year():
    a = assess_year(2019, [], [Exemption("exam_passed", year=2019)], P2011)
    assert a.complies is True and a.public_waived is True


def test_shortfall_non_public():
    a = assess_year(2021, [Activity("course", hours=D(20), category="public")], [], P2021)
    # 70 short: 10 more public can count (cap 30), so at least 60 must be non-public
    assert a.shortfall_total == 70 and a.shortfall_public == 4 and a.shortfall_non_public == 60


def test_assess_period_averages_with_exempt_years():
    years = {2021: ([Activity("course", hours=D(24), category="public")], []),
             2022: ([Activity("course", hours=D(24), category="public"), Activity("course", hours=D(150))],
                    [Exemption("exam_passed")]),
             2023: ([Activity("course", hours=D(24), category="public"), Activity("course", hours=D(60))], [])}
    p = engine.assess_period(2021, 2023, years, default_rules())
    # 2021: 24, 2022: exempt but 174 counted, 2023: 84 → average 94 ≥ 90
    assert p.average_counted_total == Fraction(24 + 174 + 84, 3)
    assert p.average_met is True and p.public_met_every_year is True
    assert p.years[1].exemptions_applied == ["exam_passed"]


# ------------------------------------------------------------------ properties

categories = st.sampled_from(engine.CATEGORIES)
half_days = st.integers(min_value=0, max_value=60).map(lambda n: D(n) / 2)
tenths = st.integers(min_value=0, max_value=1500).map(lambda n: D(n) / 10)
activities = st.one_of(
    st.builds(Activity, kind=st.just("conference"), days=half_days, level=st.sampled_from(engine.CONFERENCE_LEVELS),
              category=categories),
    st.builds(Activity, kind=st.sampled_from(["training_class", "talent_base_training"]), days=half_days,
              category=categories),
    st.builds(Activity, kind=st.sampled_from(["course", "online_course"]), hours=tenths, category=categories),
    st.builds(Activity, kind=st.just("self_study"), hours=tenths),
    st.builds(Activity, kind=st.just("transfer"), hours=tenths, region=st.sampled_from(engine.REGIONS),
              category=categories),
)
exemptions = st.one_of(
    st.builds(Exemption, kind=st.just("papers"), year=st.sampled_from([2019, 2021, 2022]),
              provincial=st.integers(0, 3), city=st.integers(0, 3), county=st.integers(0, 4)),
    st.builds(Exemption, kind=st.just("award"), year=st.sampled_from([2021, 2022]),
              level=st.sampled_from(engine.AWARD_LEVELS), grade=st.integers(1, 4)),
    st.builds(Exemption, kind=st.sampled_from(["degree", "exam_passed"]), year=st.sampled_from([2020, 2021, 2022])),
    st.builds(Exemption, kind=st.just("public_round_certificate"), round=st.sampled_from([4, 5])),
)
years = st.sampled_from([2015, 2021, 2022])
periods = st.one_of(st.none(), st.just(Period(2021, 2023)))


def _assess(year, acts, exs, period):
    return assess_year(year, acts, exs, engine.select_policy(default_rules(), year),
                       round_years={5: 2021}, appointment_period=period)


@settings(max_examples=150, deadline=None)
@given(years, st.lists(activities, max_size=8), st.lists(exemptions, max_size=2), periods, activities)
def test_adding_hours_never_breaks_compliance(year, acts, exs, period, extra):
    before = _assess(year, acts, exs, period)
    after = _assess(year, acts + [extra], exs, period)
    assert after.counted_total >= before.counted_total
    assert after.public_hours >= before.public_hours
    if before.complies:
        assert after.complies
    if before.total_met:
        assert after.total_met


@settings(max_examples=150, deadline=None)
@given(years, st.lists(activities, max_size=12), st.lists(exemptions, max_size=2), periods)
def test_caps_hold(year, acts, exs, period):
    a = _assess(year, acts, exs, period)
    assert a.public_counted <= a.public_cap == a.required_total / 3
    assert a.self_study_counted <= a.self_study_cap == a.required_total / 3
    assert a.counted_total == a.public_counted + a.self_study_counted + a.other_counted
    assert a.complies == (a.total_met and a.public_met)
    c = a.as_contract()
    assert c["shortfall"]["total"] >= 0 and c["shortfall"]["public"] >= 0
    assert (c["shortfall"]["total"] == 0) == c["total_met"] or a.shortfall_total < D("0.05")

"""RULES §7: every worked example, through POST /api/v1/hours/assess(-period)."""
import pytest

from ntbase.hours.policy import ensure_default_policies
from ntbase.kernel.db import db


@pytest.fixture()
def api(client):
    ensure_default_policies()
    db.session.commit()

    def post(body, path="/api/v1/hours/assess", **kw):
        r = client.post(path, json=body, **kw)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    return post


def public(hours):
    return {"kind": "course", "hours": hours, "category": "public"}


def special(hours):
    return {"kind": "course", "hours": hours}


def test_example_1_public_and_two_training_classes(api):
    a = api({"year": 2021, "activities": [
        public(24),
        {"kind": "training_class", "days": 5.5, "category": "specialized"},
        {"kind": "training_class", "days": 5.5}]})
    assert a["counted_total"] == 90.0 and a["public_hours"] == 24.0
    assert a["complies"] is True and a["total_met"] and a["public_met"]
    assert a["shortfall"] == {"total": 0.0, "public": 0.0}
    assert any("5.5 天 × 6 学时/天 = 33 学时" in r["message"] for r in a["reasons"])


def test_example_2_public_over_cap(api):
    a = api({"year": 2021, "activities": [public(40), special(50)]})
    assert a == {**a, "year": 2021, "required_total": 90, "required_public": 24,
                 "public_hours": 40.0, "public_counted": 30.0, "self_study_hours": 0.0,
                 "self_study_counted": 0.0, "counted_total": 80.0, "total_met": False,
                 "public_met": True, "complies": False, "shortfall": {"total": 10.0, "public": 0.0},
                 "exemptions_applied": []}
    assert any(r["rule"] == "Art. 14" for r in a["reasons"])
    assert any("非公需" in r["message"] for r in a["reasons"])


def test_example_3_self_study_cap(api):
    a = api({"year": 2021, "activities": [public(24), {"kind": "self_study", "hours": 45}, special(30)]})
    assert a["self_study_hours"] == 45.0 and a["self_study_counted"] == 30.0
    assert a["counted_total"] == 84.0 and a["complies"] is False
    assert a["shortfall"]["total"] == 6.0
    assert any(r["rule"] == "Art. 17(6)" and "30" in r["message"] for r in a["reasons"])


def test_example_4_fifth_round_certificate_waives_public(api):
    a = api({"year": 2021, "activities": [special(90)],
             "exemptions": [{"kind": "public_round_certificate", "round": 5}]})
    assert a["complies"] is True and a["public_met"] is True and a["public_hours"] == 0.0
    assert a["exemptions_applied"] == ["public_round_certificate"]
    # the same certificate does not waive 2022
    b = api({"year": 2022, "activities": [special(90)],
             "exemptions": [{"kind": "public_round_certificate", "round": 5}]})
    assert b["public_met"] is False and b["complies"] is False and b["shortfall"]["public"] == 24.0


def test_example_5_papers_cover_total_not_public(api):
    papers = {"kind": "papers", "year": 2021, "provincial": 2}
    a = api({"year": 2021, "activities": [public(24)], "exemptions": [papers]})
    assert a["complies"] is True and a["total_met"] is True and a["counted_total"] == 24.0
    assert a["exemptions_applied"] == ["papers"]
    b = api({"year": 2021, "exemptions": [papers]})
    assert b["total_met"] is True and b["public_met"] is False and b["complies"] is False
    assert b["shortfall"] == {"total": 0.0, "public": 24.0}


def test_example_6_2019_under_2011_rules(api):
    a = api({"year": 2019, "activities": [{"kind": "training_class", "days": 12}]})
    assert a["required_total"] == 72 and a["required_public"] == 0
    assert a["counted_total"] == 72.0 and a["complies"] is True
    assert a["reasons"][0]["rule"] == "Art. 16"


def test_example_7_conferences_and_online(api):
    a = api({"year": 2022, "activities": [
        {"kind": "conference", "level": "national", "days": 2}, public(24),
        {"kind": "conference", "level": "local", "days": 1}, special(40)]})
    assert a["counted_total"] == 90.0 and a["complies"] is True
    messages = " ".join(r["message"] for r in a["reasons"])
    assert "2 天 × 10 学时/天 = 20 学时" in messages and "1 天 × 6 学时/天 = 6 学时" in messages


def test_example_8_degree_covers_period_total(api):
    degree = {"kind": "degree", "year": 2022}
    period = {"start_year": 2021, "end_year": 2023}
    for year in (2021, 2022, 2023):
        a = api({"year": year, "activities": [public(24)], "exemptions": [degree],
                 "appointment_period": period})
        assert a["total_met"] and a["complies"], year
        assert a["exemptions_applied"] == ["degree"]
        b = api({"year": year, "exemptions": [degree], "appointment_period": period})
        assert b["total_met"] and not b["public_met"] and not b["complies"]
    # without a recorded period no period exemption applies
    c = api({"year": 2022, "activities": [public(24)], "exemptions": [degree]})
    assert c["total_met"] is False and c["exemptions_applied"] == []
    assert any("聘期" in r["message"] for r in c["reasons"])


def test_example_8_through_assess_period(api):
    body = {"start_year": 2021, "end_year": 2023, "years": {
        "2021": {"activities": [public(24)]},
        "2022": {"activities": [public(24)], "exemptions": [{"kind": "degree", "year": 2022}]},
        "2023": {"activities": [public(24)]}}}
    p = api(body, "/api/v1/hours/assess-period")
    assert [y["year"] for y in p["years"]] == [2021, 2022, 2023]
    assert all(y["total_met"] and y["complies"] for y in p["years"])
    assert p["average_required_total"] == 90.0 and p["average_counted_total"] == 90.0
    assert p["average_met"] is True and p["public_met_every_year"] is True
    body["years"]["2023"] = {}
    p = api(body, "/api/v1/hours/assess-period")
    assert p["years"][2]["total_met"] and not p["years"][2]["public_met"]
    assert p["public_met_every_year"] is False and p["average_met"] is True


def test_example_9_mixed_paper_levels(api):
    a = api({"year": 2021, "activities": [public(24)],
             "exemptions": [{"kind": "papers", "year": 2021, "provincial": 1, "city": 2}]})
    assert a["complies"] is True and a["exemptions_applied"] == ["papers"]
    assert any("7/6" in r["message"] for r in a["reasons"])


def test_example_10_county_papers_not_enough(api):
    a = api({"year": 2022, "activities": [public(24), special(40)],
             "exemptions": [{"kind": "papers", "year": 2022, "county": 3}]})
    assert a["counted_total"] == 64.0 and a["complies"] is False
    assert a["exemptions_applied"] == [] and a["shortfall"]["total"] == 26.0
    assert any("3/4" in r["message"] for r in a["reasons"])

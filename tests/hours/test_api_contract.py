"""The hours API beyond the worked examples: validation, languages, transfers, policies."""
import pytest

from ntbase.hours.models import Policy
from ntbase.hours.policy import ensure_default_policies, save_policy
from ntbase.kernel.db import db


@pytest.fixture()
def seeded(app_ctx):
    ensure_default_policies()
    db.session.commit()


def fields(r):
    return {f["field"] for f in r.get_json()["fields"]}


@pytest.mark.parametrize("body, field", [
    ({"year": 2021, "activities": [{"kind": "seminar", "days": 1}]}, "activities.0"),
    ({"year": 2021, "activities": [{"kind": "training_class", "days": -1}]}, "activities.0.training_class.days"),
    ({"year": 2021, "activities": [{"kind": "training_class", "days": 367}]}, "activities.0.training_class.days"),
    ({"year": 2021, "activities": [{"kind": "training_class", "days": 1.25}]}, "activities.0.training_class.days"),
    ({"year": 2021, "activities": [{"kind": "course", "hours": 2.25}]}, "activities.0.course.hours"),
    ({"year": 2021, "activities": [{"kind": "conference", "level": "galactic", "days": 1}]},
     "activities.0.conference.level"),
    ({"year": 2010}, "year"),
    ({"year": 2021, "exemptions": [{"kind": "award", "level": "city", "grade": 9}]}, "exemptions.0.award.grade"),
    ({"year": 2021, "exemptions": [{"kind": "papers", "year": 2009, "city": 3}]}, "exemptions.0.papers.year"),
    ({"year": 2021, "appointment_period": {"start_year": 2023, "end_year": 2021}}, "appointment_period"),
])
def test_invalid_input_is_422_with_the_field(client, seeded, body, field):
    r = client.post("/api/v1/hours/assess", json=body)
    assert r.status_code == 422
    data = r.get_json()
    assert data["error"] == "validation_error" and data["message"]
    assert field in fields(r), data
    assert all(f["message"] for f in data["fields"])


def test_not_json_is_400(client, seeded):
    r = client.post("/api/v1/hours/assess", data="year=2021")
    assert r.status_code == 400 and r.get_json()["message"]


def test_period_validation(client, seeded):
    r = client.post("/api/v1/hours/assess-period",
                    json={"start_year": 2021, "end_year": 2023, "years": {"2025": {}}})
    assert r.status_code == 422
    r = client.post("/api/v1/hours/assess-period",
                    json={"start_year": 2021, "end_year": 2023, "years": {"2022": {"activities": [{"kind": "x"}]}}})
    assert r.status_code == 422 and any(f.startswith("years.2022.activities.0") for f in fields(r))


def test_reasons_follow_the_request_language(client, seeded):
    body = {"year": 2021, "activities": [{"kind": "conference", "level": "regional", "days": 1}]}
    zh = client.post("/api/v1/hours/assess", json=body).get_json()
    assert "地区级学术会议 1 天 × 10 学时/天" in zh["reasons"][1]["message"]
    en = client.post("/api/v1/hours/assess", json=body, headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    assert en["reasons"][1]["message"].startswith("Regional conference: 1 days × 10 h/day")
    assert en["reasons"][1]["rule"] == "Art. 17(1)"
    q = client.post("/api/v1/hours/assess?lang=en", json=body, headers={"Accept-Language": "zh-CN"}).get_json()
    assert q["reasons"][1]["message"] == en["reasons"][1]["message"]
    assert "学时" in client.post("/api/v1/hours/assess", json=body,
                               headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_json()["reasons"][0]["message"]


def test_transfers_inside_and_outside_the_delta(client, seeded):
    body = {"year": 2022, "activities": [
        {"kind": "transfer", "region": "shanghai", "hours": 66},
        {"kind": "transfer", "region": "other", "hours": 50},
        {"kind": "transfer", "region": "anhui", "hours": 24, "category": "public"}]}
    a = client.post("/api/v1/hours/assess", json=body).get_json()
    assert a["counted_total"] == 90.0 and a["public_hours"] == 24.0 and a["complies"] is True
    assert any(r["rule"] == "notice §3" and "不予计入" in r["message"] for r in a["reasons"])


def test_talent_base_training_and_half_days(client, seeded):
    a = client.post("/api/v1/hours/assess", json={"year": 2023, "activities": [
        {"kind": "talent_base_training", "days": 2.5}]}).get_json()
    assert a["counted_total"] == 20.0


def test_awards_and_books(client, seeded):
    period = {"start_year": 2021, "end_year": 2023}

    def assess(ex, with_period=True):
        body = {"year": 2022, "exemptions": [ex]}
        if with_period:
            body["appointment_period"] = period
        return client.post("/api/v1/hours/assess", json=body).get_json()

    assert assess({"kind": "award", "level": "city", "grade": 3, "year": 2021})["total_met"] is True
    assert assess({"kind": "award", "level": "city", "grade": 3, "year": 2021}, False)["total_met"] is False
    assert assess({"kind": "award", "level": "city", "grade": 4, "year": 2021})["total_met"] is False
    assert assess({"kind": "award", "level": "city", "grade": 4, "year": 2022}, False)["total_met"] is True
    assert assess({"kind": "award", "level": "county", "grade": 3, "year": 2022}, False)["total_met"] is True
    assert assess({"kind": "award", "level": "provincial", "grade": 1, "year": 2023})["total_met"] is True
    assert assess({"kind": "book", "year": 2021})["total_met"] is True
    assert assess({"kind": "book", "characters": 30000, "year": 2021})["total_met"] is True
    short = assess({"kind": "book", "characters": 29999, "year": 2021})
    assert short["total_met"] is False and any("29999" in r["message"] for r in short["reasons"])
    assert assess({"kind": "exam_passed", "year": 2022}, False)["total_met"] is True
    assert assess({"kind": "exam_passed", "year": 2021}, False)["total_met"] is False
    # an exemption without a year belongs to the assessed year
    assert assess({"kind": "exam_passed"}, False)["exemptions_applied"] == ["exam_passed"]


def test_policy_rows_are_used_and_past_years_keep_theirs(client, seeded, office):
    p2021 = db.session.scalar(db.select(Policy).where(Policy.effective_year == 2021))
    save_policy(effective_year=2026, required_total="96", required_public="30", public_cap_share="1/3",
                self_study_cap_share="1/4", exemptions_cover_public=False, source="test notice",
                reason="测试", actor_id=office.id)
    db.session.commit()
    a = client.post("/api/v1/hours/assess", json={"year": 2026, "activities": [
        {"kind": "self_study", "hours": 40}]}).get_json()
    assert a["required_total"] == 96 and a["required_public"] == 30 and a["self_study_counted"] == 24.0
    b = client.post("/api/v1/hours/assess", json={"year": 2025}).get_json()
    assert b["required_total"] == 90 and p2021.required_total == 90


def test_works_without_seeded_policies(client):
    a = client.post("/api/v1/hours/assess", json={"year": 2021, "activities": [
        {"kind": "course", "hours": 90}], "exemptions": [{"kind": "public_round_certificate", "round": 5}]})
    assert a.status_code == 200 and a.get_json()["complies"] is True


def test_openapi_documents_the_hours_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/api/v1/hours/assess"]
    assert "/api/v1/hours/assess-period" in doc["paths"]
    assert "AssessRequest" in doc["components"]["schemas"]

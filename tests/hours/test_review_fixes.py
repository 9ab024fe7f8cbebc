"""Findings of the review of the hours domain (issue #6): each test failed before its fix,
or pins a rule the review checked against RULES.md."""
import io
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from ntbase.hours import engine
from ntbase.hours.models import EntryState, Evidence, ExemptionEvent, LedgerEntry, PolicyChange
from ntbase.hours.policy import default_rules, ensure_default_policies, save_policy
from ntbase.hours.services import assess_learner_year
from ntbase.kernel.db import db, now
from tests import factories
from tests.hours.factories import make_entry

YEAR = now().year
P2011, P2021 = default_rules()



@pytest.fixture(autouse=True)
def _policies(app_ctx):
    ensure_default_policies()
    db.session.commit()


@pytest.fixture()
def login(login):
    from flask import g

    def _login(user, c=None):
        g.pop("_login_user", None)
        return login(user, c)

    return _login


def post(client, body, path="/api/v1/hours/assess", **kw):
    return client.post(path, json=body, **kw)


# ------------------------------------------------------------------ rules (RULES §2-§4)

def test_2011_rules_cap_public_at_a_third_of_72():
    a = engine.assess_year(2019, [engine.Activity("course", hours=D(40), category="public"),
                                  engine.Activity("course", hours=D(32))], [], P2011)
    assert a.public_counted == 24 and a.counted_total == 56 and not a.complies
    assert a.required_public == 0 and a.public_met  # no public minimum before 2021


def test_exempt_year_counts_at_least_its_requirement_in_the_period_average():
    # 2021: papers (year exemption) with 0 hours; 2022-2023: 90 each → average 90, met
    years = {2021: ([engine.Activity("course", hours=D(24), category="public")],
                    [engine.Exemption("papers", year=2021, provincial=2)]),
             2022: ([engine.Activity("course", hours=D(90))], []),
             2023: ([engine.Activity("course", hours=D(90))], [])}
    p = engine.assess_period(2021, 2023, years, default_rules(), round_years={5: 2021})
    assert p.years[0].total_exempt and p.years[0].counted_total == 24
    assert p.average_counted_total == 90 and p.average_met
    # 2022-2023 lack public hours: Art. 27(3) fails although the average holds
    assert p.public_met_every_year is False


def test_fifth_round_certificate_waives_2021_public_only_through_the_round_table():
    a = engine.assess_year(2021, [engine.Activity("course", hours=D(90))],
                           [engine.Exemption("public_round_certificate", round=5)], P2021, round_years={})
    assert a.public_waived is False and not a.complies  # no row in the table: nothing is waived


# ------------------------------------------------------------------ API messages and keys

@pytest.mark.parametrize("body, field, zh, en", [
    ('{"year": 2021, "activities": [{"kind": "course", "hours": NaN}]}', "activities.0.course.hours",
     "有限", "finite"),
    ('{"year": 2021, "activities": "x"}', "activities", "列表", "list"),
    ('[1, 2]', "", "对象", "object"),
    ('{"year": 2010}', "year", "2011 至 2100", "2011 to 2100"),
    ('{"year": 2021, "appointment_period": {"start_year": 2023, "end_year": 2021}}', "appointment_period",
     "结束年度不能早于起始年度", "must not be before"),
])
def test_422_messages_are_in_the_reply_language(client, body, field, zh, en):
    for lang, needle in (("zh-CN", zh), ("en", en)):
        r = client.post("/api/v1/hours/assess", data=body, content_type="application/json",
                        headers={"Accept-Language": lang})
        assert r.status_code == 422
        fields = {f["field"]: f["message"] for f in r.get_json()["fields"]}
        assert field in fields and needle in fields[field], fields
    assert "Input should" not in r.get_data(as_text=True)


@pytest.mark.parametrize("key", ["02021", "２０２１", "+2021", " 2021"])
def test_period_year_keys_must_be_written_plainly(client, key):
    # "02021" used to be read as 2021 and silently replace the "2021" entry
    body = {"start_year": 2021, "end_year": 2023,
            "years": {"2021": {}, key: {"activities": [{"kind": "course", "hours": 90}]}}}
    r = post(client, body, "/api/v1/hours/assess-period")
    assert r.status_code == 422
    assert any(f["field"] == "years" and "2021" in f["message"] for f in r.get_json()["fields"])


def test_period_key_outside_the_period_is_explained(client):
    r = post(client, {"start_year": 2021, "end_year": 2023, "years": {"2025": {}}}, "/api/v1/hours/assess-period")
    assert r.status_code == 422 and "2025" in r.get_json()["fields"][0]["message"]
    assert "不在" in r.get_json()["fields"][0]["message"]


def test_a_year_that_is_not_met_is_never_zero_short(client, office):
    # a policy of 80 h: 26.7 public (cap 80/3) + 53.3 = 79.97 counted, unrounded
    save_policy(effective_year=2090, required_total="80", required_public="20", public_cap_share="1/3",
                self_study_cap_share="1/3", exemptions_cover_public=False, source="t", reason="测试",
                actor_id=office.id)
    db.session.commit()
    a = post(client, {"year": 2090, "activities": [{"kind": "course", "hours": 26.7, "category": "public"},
                                                   {"kind": "course", "hours": 53.3}]}).get_json()
    assert a["total_met"] is False and a["shortfall"]["total"] == 0.1


# ------------------------------------------------------------------ uploads

def _post_entry(client, evidence):
    day = (now().date() - timedelta(days=1)).isoformat()
    return client.post("/me/hours/entries/new", content_type="multipart/form-data", data={
        "kind": "conference", "title": "全国学术年会", "organizer": "学会", "level": "national", "days": "1",
        "start_date": day, "end_date": day, "category": "specialized", "region": "", "hours": "",
        "evidence": evidence})


@pytest.mark.parametrize("data, name, needle", [
    (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "big.pdf", "10 MB"),
    (b"PK\x03\x04 a zip file renamed", "scan.pdf", "不是 PDF"),
    (b"<!doctype html><script>alert(1)</script>", "photo.png", "不是 PDF"),
    (b"", "empty.pdf", "文件是空的"),
])
def test_bad_uploads_say_what_to_do_and_write_nothing(client, login, learner, data, name, needle):
    login(learner)
    r = _post_entry(client, (io.BytesIO(data), name))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    err = re.search(r'id="evidence-err"[^>]*>([^<]*)<', html)
    assert err and needle in err.group(1), err
    assert "重新选择" in err.group(1)  # says what to do next
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


def test_exactly_ten_megabytes_is_accepted(client, login, learner):
    login(learner)
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 9)
    assert _post_entry(client, (io.BytesIO(data), "ok.pdf")).status_code == 302
    assert db.session.scalar(sa.select(Evidence.size)) == 10 * 1024 * 1024


# ------------------------------------------------------------------ access, privacy, CSRF

@pytest.mark.parametrize("target", ["/\\evil.example/x", "//evil.example", "https://evil.example", "/ok\\..\\x"])
def test_review_redirect_stays_on_this_site(client, login, learner, office, target):
    entry = make_entry(learner, year=YEAR, hours="5", state=EntryState.PENDING, evidence=True)
    db.session.commit()
    login(office)
    r = client.post(f"/office/hours/entries/{entry.id}/review", data={"decision": "accept", "next": target})
    assert r.status_code == 302 and r.headers["Location"].endswith("/office/hours/pending")


def _audit_rows(subject_id):
    from ntbase.kernel.audit import AuditLog

    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.subject_user_id == subject_id)).all()


def test_office_looking_at_a_record_leaves_an_audit_row(client, login, learner, office):
    from ntbase.hours.statements import issue_statement

    entry = make_entry(learner, year=YEAR, hours="5", state=EntryState.PENDING, evidence=True)
    st = issue_statement(learner.id, YEAR)
    db.session.commit()
    login(learner)  # the owner looking at their own things leaves nothing
    for url in (f"/hours/evidence/{entry.evidence_id}", f"/hours/statements/{st.id}"):
        assert client.get(url).status_code == 200
    assert _audit_rows(learner.id) == []
    login(office)
    for url in (f"/office/hours/learners/{learner.id}", f"/hours/evidence/{entry.evidence_id}",
                f"/hours/statements/{st.id}", f"/hours/statements/{st.id}.pdf"):
        assert client.get(url).status_code == 200, url
    client.post(f"/office/hours/entries/{entry.id}/review", data={"decision": "accept"})
    rows = _audit_rows(learner.id)
    assert sorted((r.action, r.object_type) for r in rows) == [
        ("person.entry_review", "ledger_entry"), ("person.view", "evidence"), ("person.view", "statement"),
        ("person.view", "statement"), ("person.view", "user")]
    assert all(r.actor_id == office.id for r in rows)


@pytest.fixture()
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_forged_posts_without_csrf_token_change_nothing(csrf_app, learner, office):
    entry = make_entry(learner, year=YEAR, hours="5", state=EntryState.PENDING, evidence=True)
    event = ExemptionEvent(learner_id=learner.id, kind="exam_passed", year=YEAR, title="考试",
                           state=EntryState.PENDING)
    db.session.add(event)
    db.session.commit()
    policy_id = db.session.scalar(sa.select(PolicyChange.policy_id))
    day = (now().date() - timedelta(days=1)).isoformat()
    as_learner = [
        ("/me/hours/entries/new", {"kind": "online_course", "title": "x", "start_date": day, "end_date": day,
                                   "hours": "5", "category": "specialized"}),
        (f"/me/hours/entries/{entry.id}/withdraw", {}),
        ("/me/hours/exemptions/new", {"kind": "exam_passed", "title": "x", "year": str(YEAR)}),
        (f"/me/hours/exemptions/{event.id}/withdraw", {}),
        ("/me/hours/periods", {"start_year": str(YEAR), "end_year": str(YEAR + 2)}),
        ("/me/hours/statements", {"year": str(YEAR)}),
    ]
    as_office = [
        (f"/office/hours/entries/{entry.id}/review", {"decision": "reject", "reason": "x"}),
        (f"/office/hours/exemptions/{event.id}/review", {"decision": "reject", "reason": "x"}),
        (f"/office/hours/learners/{learner.id}", {"year": str(YEAR), "hours": "90", "category": "public",
                                                  "reason": "x"}),
        ("/office/policies/new", {"effective_year": "2030", "required_total": "90", "required_public": "24",
                                  "public_cap_share": "1/3", "self_study_cap_share": "1/3", "reason": "x"}),
        (f"/office/policies/{policy_id}/edit", {"effective_year": "2011", "required_total": "10",
                                                "required_public": "0", "public_cap_share": "1/3",
                                                "self_study_cap_share": "1/3", "reason": "x"}),
        ("/office/policies/rounds", {"round": "6", "year": "2030", "reason": "x"}),
    ]
    for user, posts in ((learner, as_learner), (office, as_office)):
        with csrf_app.app_context():
            c = csrf_app.test_client()
            with c.session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = str(user.id), True
            for url, data in posts:
                r = c.post(url, data=data)
                assert r.status_code == 400, (url, r.status_code)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1
    assert entry.state == EntryState.PENDING and event.state == EntryState.PENDING
    assert db.session.scalar(sa.select(sa.func.count(PolicyChange.id))) == 2  # the two seed rows


# ------------------------------------------------------------------ revoked certificates

def test_hours_of_a_revoked_certificate_stop_counting(learner, base_a, office):
    from ntbase.accounts.models import Notice
    from ntbase.certificates.services import reissue_certificate, revoke_certificate
    from tests.attendance.helpers import completed_certificate

    cert = completed_certificate(base_a, learner, hours="12")
    year = cert.year
    assert assess_learner_year(learner.id, year).counted_total == 12
    # a reissue keeps the hours (the ledger follows the new certificate)
    new = reissue_certificate(cert, office)
    db.session.commit()
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.enrollment_id == cert.enrollment_id))
    assert entry.certificate_id == new.id and entry.state == EntryState.ACCEPTED
    assert assess_learner_year(learner.id, year).counted_total == 12
    revoke_certificate(new, "考勤记录不实", office)
    db.session.commit()
    db.session.refresh(entry)
    assert entry.state == EntryState.REJECTED and entry.review_reason == "考勤记录不实"
    assert assess_learner_year(learner.id, year).counted_total == 0
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == learner.id).order_by(Notice.id.desc()))
    assert "撤销" in notice.title and notice.body == "考勤记录不实"


def test_dashboard_says_why_a_course_stopped_counting(client, login, learner, base_a, office):
    from ntbase.certificates.services import revoke_certificate
    from tests.attendance.helpers import completed_certificate

    cert = completed_certificate(base_a, learner, hours="12")
    revoke_certificate(cert, "考勤记录不实", office)
    db.session.commit()
    login(learner)
    html = client.get("/me/hours").get_data(as_text=True)
    assert "证书已撤销：考勤记录不实" in html


# ------------------------------------------------------------------ statement counts

def test_office_learner_page_query_count_does_not_grow(client, login, learner, office, count_queries):
    login(office)

    def count():
        with count_queries() as q:
            assert client.get(f"/office/hours/learners/{learner.id}").status_code == 200
        return q.count

    make_entry(learner, year=YEAR, hours="10", evidence=True)
    db.session.commit()
    small = count()
    for y in range(YEAR - 3, YEAR + 1):
        for i in range(3):
            make_entry(learner, year=y, hours="5", evidence=True, title=f"第{i}项",
                       state=EntryState.PENDING if i == 0 else EntryState.ACCEPTED)
        db.session.add(ExemptionEvent(learner_id=learner.id, kind="exam_passed", year=y, title="考试",
                                      state=EntryState.PENDING))
    db.session.commit()
    assert count() == small


def test_policies_page_query_count_does_not_grow(client, login, office, count_queries):
    login(office)

    def count():
        with count_queries() as q:
            assert client.get("/office/policies").status_code == 200
        return q.count

    others = [factories.make_user(factories.Role.OFFICE) for _ in range(4)]
    db.session.commit()

    def change(i, who):
        save_policy(effective_year=2030 + i, required_total="90", required_public="24", public_cap_share="1/3",
                    self_study_cap_share="1/3", exemptions_cover_public=False, source="t", reason=f"第{i}次",
                    actor_id=who.id)

    change(0, others[0])
    db.session.commit()
    small = count()
    for i, who in enumerate(others[1:], start=1):
        change(i, who)
    db.session.commit()
    assert count() == small


def test_rule_citations_read_in_the_page_language(client):
    data = {"year": "2022", "activities-0-kind": "training_class", "activities-0-days": "2",
            "activities-0-category": "specialized"}
    zh = client.post("/hours/calculator", data=data).get_data(as_text=True)
    reasons = zh[zh.index('id="reasons"'):]
    assert '<span class="tag">实施办法第十七条（三）</span>' in reasons and "Art. 17(3)" not in reasons
    assert "data-rule-labels=" in zh and "实施办法第十四条" in zh  # for the script's own rendering
    en = client.post("/hours/calculator?lang=en", data=data).get_data(as_text=True)
    assert "Art. 17(3)" in en and "实施办法" not in en
    # the API keeps the stable codes
    r = client.post("/api/v1/hours/assess", json={"year": 2022, "activities": [{"kind": "training_class", "days": 2}]})
    assert any(x["rule"] == "Art. 17(3)" for x in r.get_json()["reasons"])


def test_two_officers_deciding_at_once_the_first_decision_stands(learner, office):
    from ntbase.hours.services import review_entry
    from ntbase.kernel.errors import DomainError

    entry = make_entry(learner, year=YEAR, hours="5", state=EntryState.PENDING, evidence=True)
    db.session.commit()
    # the other officer accepted it after this request loaded the entry as pending
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.id == entry.id)
                       .values(state=EntryState.ACCEPTED).execution_options(synchronize_session=False))
    assert entry.state == EntryState.PENDING
    with pytest.raises(DomainError):
        review_entry(entry.id, False, "材料不全", office.id)
    assert entry.state == EntryState.ACCEPTED and entry.review_reason == ""


def test_statement_masks_the_name_like_certificates_do(learner):
    from ntbase.hours.statements import issue_statement
    from ntbase.kernel.security import mask_name

    st = issue_statement(learner.id, YEAR)
    # "张*明" used to give away the last character where certificates show "张**"
    assert st.holder_name_masked == mask_name("张晓明") == "张**"

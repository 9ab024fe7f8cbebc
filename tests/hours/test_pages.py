"""The hours pages through the test client: dashboard, recording, office review, policies,
calculator and statements."""
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from ntbase.hours.models import (
    EntryState,
    ExemptionEvent,
    LedgerEntry,
    Policy,
    PolicyChange,
    Statement,
)
from ntbase.hours.policy import ensure_default_policies
from ntbase.kernel.db import db, now
from tests import factories
from tests.hours.factories import TINY_PDF, make_completion, make_entry, tiny_png

YEAR = now().year


@pytest.fixture(autouse=True)
def _policies(app_ctx):
    ensure_default_policies()
    db.session.commit()


@pytest.fixture()
def login(login):
    """Switch users within one test: the test's app context (and so flask.g, where
    Flask-Login caches the user) is shared by every request of the test client."""
    from flask import g

    def _login(user, c=None):
        g.pop("_login_user", None)
        return login(user, c)

    return _login


def text(r):
    return r.get_data(as_text=True)


def yesterday():
    return now().date() - timedelta(days=1)


# ------------------------------------------------------------------ dashboard

def test_dashboard_shows_verdict_gap_and_pending(client, login, learner, base_a):
    course = factories.make_course(base_a, category="public", hours="24",
                                   start=datetime(YEAR, 1, 5, 9), sessions=1)
    make_completion(learner, course)
    make_entry(learner, year=YEAR, kind="training_class", days="5.5", title="外单位培训班")
    make_entry(learner, year=YEAR, kind="conference", level="national", days="2", title="待审核的会议",
               state=EntryState.PENDING)
    make_entry(learner, year=YEAR, kind="online_course", hours="30", title="被退回的网课",
               state=EntryState.REJECTED).review_reason = "证书无法核实"
    db.session.commit()
    login(learner)
    html = text(client.get("/me/hours"))
    # 24 public + 33 accepted; the pending conference (20) and the rejected course do not count
    assert 'id="progress-total"' in html and "57 / 90" in html
    assert "24 / 24" in html  # public met
    assert "还差 27 学时非公需学时" in html
    assert "还差 6 学时（公需或非公需均可）" in html
    assert "待审核的会议" in html and "待审核" in html
    assert "被退回的网课" in html and "证书无法核实" in html
    assert "待审核、尚未计入：1 条" in html
    assert "未达标" in html


def test_dashboard_after_office_accepts_changes(client, login, learner, office):
    make_entry(learner, year=YEAR, category="public", hours="24")
    make_entry(learner, year=YEAR, hours="46")
    e = make_entry(learner, year=YEAR, kind="conference", level="regional", days="2",
                   state=EntryState.PENDING, evidence=True)
    db.session.commit()
    login(learner)
    assert "还差 14 学时非公需学时" in text(client.get("/me/hours"))
    login(office)
    r = client.post(f"/office/hours/entries/{e.id}/review", data={"decision": "accept", "reason": ""})
    assert r.status_code == 302
    login(learner)
    html = text(client.get("/me/hours"))
    assert "90 / 90" in html and "本年度学时已达标" in html and "还差" not in html


def test_dashboard_suggests_cheapest_upcoming_public_courses(client, login, learner, base_a, base_b):
    from ntbase.bases.services import change_base_status
    from ntbase.kernel.enums import CertificationStatus

    soon = now() + timedelta(days=20)
    factories.make_course(base_a, title="公需课乙", category="public", price_fen=20000, start=soon)
    factories.make_course(base_a, title="公需课甲", category="public", price_fen=10000, start=soon)
    factories.make_course(base_a, title="专业课丙", category="specialized", price_fen=100, start=soon)
    factories.make_course(base_a, title="草稿公需课", category="public", status="draft", start=soon)
    factories.make_course(base_b, title="暂停基地公需课", category="public", start=soon)
    change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    login(learner)
    html = text(client.get("/me/hours"))
    section = html[html.index('id="suggestions"'):]
    assert section.index("公需课甲") < section.index("公需课乙")
    assert "专业课丙" not in section and "草稿公需课" not in section and "暂停基地公需课" not in section
    # once public hours are met, non-public courses are suggested
    make_entry(learner, year=YEAR, category="public", hours="30")
    db.session.commit()
    html = text(client.get("/me/hours"))
    section = html[html.index('id="suggestions"'):]
    assert "专业课丙" in section and "公需课甲" not in section


def test_dashboard_history_and_period(client, login, learner, office):
    from ntbase.hours.services import record_appointment_period

    make_entry(learner, year=YEAR - 2, kind="training_class", category="public", days="4")
    make_entry(learner, year=YEAR - 2, kind="training_class", days="11")
    make_entry(learner, year=YEAR - 1, category="public", hours="24")
    record_appointment_period(learner.id, YEAR - 2, YEAR, learner.id)
    db.session.commit()
    login(learner)
    html = text(client.get("/me/hours"))
    assert f'id="year-{YEAR - 2}"' in html and f'id="year-{YEAR - 1}"' in html
    assert f"{YEAR - 2}–{YEAR}" in html
    # (90 + 24 + 0) / 3 = 38 per year against 90
    assert "38 / 90" in html


def test_dashboard_query_count_does_not_grow(client, login, learner, count_queries):
    login(learner)

    def count():
        with count_queries() as q:
            assert client.get("/me/hours").status_code == 200
        return q.count

    make_entry(learner, year=YEAR, hours="10", evidence=True)
    db.session.commit()
    small = count()
    for y in range(YEAR - 4, YEAR + 1):
        for i in range(4):
            make_entry(learner, year=y, hours="5", evidence=True, title=f"第{i}项",
                       state=EntryState.PENDING if i == 0 else EntryState.ACCEPTED)
    db.session.add(ExemptionEvent(learner_id=learner.id, kind="exam_passed", year=YEAR - 1, title="考试",
                                  state=EntryState.ACCEPTED))
    from ntbase.hours.services import record_appointment_period

    record_appointment_period(learner.id, YEAR - 4, YEAR - 2, learner.id)
    record_appointment_period(learner.id, YEAR - 1, YEAR + 1, learner.id)
    db.session.commit()
    assert count() == small


# ------------------------------------------------------------------ recording

def post_entry(client, **kw):
    data = {"kind": "conference", "title": "全国学术年会", "organizer": "中华医学会", "level": "national",
            "days": "1", "start_date": yesterday().isoformat(), "end_date": yesterday().isoformat(),
            "category": "specialized", "region": "", "hours": "",
            "evidence": (io.BytesIO(TINY_PDF), "通知.pdf")}
    data.update(kw)
    return client.post("/me/hours/entries/new", data=data, content_type="multipart/form-data")


def test_learner_records_a_conference_with_evidence(client, login, learner):
    login(learner)
    assert client.get("/me/hours/entries/new").status_code == 200
    r = post_entry(client)
    assert r.status_code == 302
    e = db.session.scalar(sa.select(LedgerEntry))
    assert e.state == EntryState.PENDING and e.kind == "conference" and e.evidence.content_type == "application/pdf"
    r = client.get(f"/hours/evidence/{e.evidence_id}")
    assert r.status_code == 200 and r.data == TINY_PDF and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in r.headers["Content-Disposition"]


def test_bad_evidence_shows_next_to_the_field(client, login, learner):
    login(learner)
    r = post_entry(client, evidence=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "proof.pdf"))
    assert r.status_code == 422
    assert re.search(r'id="evidence-err"[^>]*>[^<]*不是 PDF', text(r))
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0
    r = post_entry(client, days="9")
    assert r.status_code == 422 and 'id="days-err"' in text(r)


def test_learner_records_an_exemption_and_a_period(client, login, learner):
    login(learner)
    r = client.post("/me/hours/exemptions/new", content_type="multipart/form-data", data={
        "kind": "award", "title": "南通市科技进步三等奖", "year": str(YEAR), "level": "city", "grade": "3",
        "characters": "", "provincial": "0", "city": "0", "county": "0", "round": "",
        "evidence": (io.BytesIO(tiny_png()), "证书.png")})
    assert r.status_code == 302
    ev = db.session.scalar(sa.select(ExemptionEvent))
    assert ev.state == EntryState.PENDING and ev.grade == 3 and ev.evidence.content_type == "image/png"
    r = client.post("/me/hours/periods", data={"start_year": str(YEAR - 1), "end_year": str(YEAR + 1)})
    assert r.status_code == 302
    r = client.post("/me/hours/periods", data={"start_year": str(YEAR), "end_year": str(YEAR + 2)})
    assert r.status_code == 422 and 'id="start_year-err"' in text(r)


def test_withdraw_pending_entry(client, login, learner):
    login(learner)
    post_entry(client)
    e = db.session.scalar(sa.select(LedgerEntry))
    html = text(client.get("/me/hours"))
    assert f'/me/hours/entries/{e.id}/withdraw' in html and "data-confirm" in html
    assert client.post(f"/me/hours/entries/{e.id}/withdraw").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


# ------------------------------------------------------------------ office

def test_office_queue_shows_overlap_and_rejects_with_reason(client, login, learner, office, base_a):
    day = yesterday()
    course = factories.make_course(base_a, start=datetime(day.year, day.month, day.day, 9), sessions=1)
    make_completion(learner, course)
    db.session.commit()
    login(learner)
    post_entry(client)
    e = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.source == "external"))
    assert e.flagged_overlap
    login(office)
    html = text(client.get("/office/hours/pending"))
    assert "全国学术年会" in html and "日期与其他记录重叠" in html and course.title in html
    assert 'data-confirm' in html and learner.profile.id_number_masked in html
    r = client.post(f"/office/hours/entries/{e.id}/review", data={"decision": "reject", "reason": ""})
    assert r.status_code == 302 and e.state == EntryState.PENDING
    r = client.post(f"/office/hours/entries/{e.id}/review", data={"decision": "reject", "reason": "与平台课程同日"})
    db.session.refresh(e)
    assert e.state == EntryState.REJECTED and e.reviewed_by_id == office.id
    assert client.get(f"/hours/evidence/{e.evidence_id}").status_code == 200
    login(learner)
    assert "与平台课程同日" in text(client.get("/me/hours"))


def test_office_reviews_exemptions_and_adds_adjustments(client, login, learner, office):
    ev = ExemptionEvent(learner_id=learner.id, kind="exam_passed", year=YEAR, title="执业药师考试",
                        state=EntryState.PENDING)
    db.session.add(ev)
    db.session.commit()
    login(office)
    assert "执业药师考试" in text(client.get("/office/hours/pending"))
    client.post(f"/office/hours/exemptions/{ev.id}/review", data={"decision": "accept", "reason": "成绩单核实"})
    assert db.session.get(ExemptionEvent, ev.id).state == EntryState.ACCEPTED
    r = client.post(f"/office/hours/learners/{learner.id}",
                    data={"year": str(YEAR), "hours": "24", "category": "public", "reason": "外省公需课认定"})
    assert r.status_code == 302
    html = text(client.get(f"/office/hours/learners/{learner.id}"))
    assert "外省公需课认定" in html and "达标" in html


def test_policy_editing_keeps_history(client, login, office):
    login(office)
    html = text(client.get("/office/policies"))
    assert "notice §1" in html and "Art. 16" in html and "第 5 轮 → 2021 年" in html
    p = db.session.scalar(sa.select(Policy).where(Policy.effective_year == 2021))
    r = client.post(f"/office/policies/{p.id}/edit", data={
        "effective_year": "2021", "required_total": "90", "required_public": "31", "public_cap_share": "1/3",
        "self_study_cap_share": "1/3", "source": "notice §1", "reason": "测试"})
    assert r.status_code == 422 and 'id="required_public-err"' in text(r)
    r = client.post(f"/office/policies/{p.id}/edit", data={
        "effective_year": "2021", "required_total": "90", "required_public": "24", "public_cap_share": "1/3",
        "self_study_cap_share": "1/4", "source": "notice §1", "reason": "通职称办〔2027〕1号"})
    assert r.status_code == 302
    change = db.session.scalar(sa.select(PolicyChange).where(PolicyChange.policy_id == p.id)
                               .order_by(PolicyChange.id.desc()))
    assert change.before["self_study_cap_share"] == "1/3" and change.after["self_study_cap_share"] == "1/4"
    assert change.reason == "通职称办〔2027〕1号" and change.actor_id == office.id
    r = client.post("/office/policies/new", data={
        "effective_year": "2021", "required_total": "90", "required_public": "24", "public_cap_share": "1/3",
        "self_study_cap_share": "1/3", "source": "x", "reason": "重复"})
    assert r.status_code == 422 and 'id="effective_year-err"' in text(r)
    client.post("/office/policies/rounds", data={"round": "6", "year": "2026", "reason": "第六轮"})
    assert "第 6 轮 → 2026 年" in text(client.get("/office/policies"))
    a = client.post("/api/v1/hours/assess", json={"year": 2026, "activities": [{"kind": "course", "hours": 90}],
                    "exemptions": [{"kind": "public_round_certificate", "round": 6}]}).get_json()
    assert a["complies"] is True


# ------------------------------------------------------------------ calculator

def test_calculator_works_without_an_account_and_without_js(client):
    r = client.get("/hours/calculator")
    assert r.status_code == 200 and "hours-calculator.js" in text(r) and 'name="activities-0-kind"' in text(r)
    r = client.post("/hours/calculator", data={
        "year": "2021", "activities-0-kind": "course", "activities-0-hours": "40", "activities-0-category": "public",
        "activities-1-kind": "course", "activities-1-hours": "50", "activities-1-category": "specialized",
        "activities-2-kind": "", "exemptions-0-kind": ""})
    html = text(r)
    assert r.status_code == 200 and "2021 年度计算结果" in html and "未达标" in html
    assert "还差 10 学时非公需学时" in html and "Art. 14" in html


def test_calculator_errors_sit_next_to_the_row(client):
    r = client.post("/hours/calculator", data={
        "year": "2021", "activities-0-kind": "", "activities-1-kind": "training_class", "activities-1-days": "-2",
        "exemptions-0-kind": "papers", "exemptions-0-year": "2009"})
    html = text(r)
    assert r.status_code == 422
    assert re.search(r'id="activities-1-days-err"[^>]*>\s*请输入大于 0 的数', html)
    assert 'id="exemptions-0-year-err"' in html


def test_calculator_in_english(client):
    r = client.post("/hours/calculator?lang=en", data={
        "year": "2019", "activities-0-kind": "training_class", "activities-0-days": "12"})
    html = text(r)
    assert "Requirement for 2019: at least 72 hours" in html and "Complies" in html


# ------------------------------------------------------------------ statements

def test_statement_issue_page_pdf_and_signature(client, login, learner, office, tmp_path):
    from ntbase.certificates import codes, signing
    from ntbase.hours.statements import is_authentic

    make_entry(learner, year=YEAR - 1, category="public", hours="24", title="公需科目培训")
    make_entry(learner, year=YEAR - 1, kind="training_class", days="11", title="专业培训班")
    make_entry(learner, year=YEAR - 1, hours="99", title="待审核的课", state=EntryState.PENDING)
    db.session.commit()
    login(learner)
    r = client.post("/me/hours/statements", data={"year": str(YEAR - 1)})
    st = db.session.scalar(sa.select(Statement))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/hours/statements/{st.id}")
    assert codes.is_well_formed(st.code) and st.complies and str(st.counted_total) == "90.0"
    assert st.holder_name_masked == "张**" and st.holder_id_masked == learner.profile.id_number_masked
    assert signing.verify(st.payload, st.signature, st.key_id) and is_authentic(st)
    import json

    data = json.loads(st.payload)
    assert [e["title"] for e in data["entries"]] == ["公需科目培训", "专业培训班"]
    assert data["code"] == st.code and data["complies"] is True and data["counted_total"] == "90.0"
    html = text(client.get(f"/hours/statements/{st.id}"))
    assert codes.display(st.code) in html and "专业培训班" in html and "待审核的课" not in html
    pdf = client.get(f"/hours/statements/{st.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf.data)
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "学时证明" in out and codes.display(st.code) in out and "专业培训班" in out
    login(office)
    assert client.get(f"/hours/statements/{st.id}").status_code == 200


def test_tampered_statement_fails_verification(client, login, learner):
    from ntbase.certificates import signing
    from ntbase.hours.statements import is_authentic, issue_statement

    make_entry(learner, year=YEAR, hours="40")
    st = issue_statement(learner.id, YEAR)
    db.session.commit()
    assert is_authentic(st)
    original = st.payload
    st.payload = original.replace('"counted_total":"40.0"', '"counted_total":"90.0"')
    assert st.payload != original
    assert signing.verify(st.payload, st.signature, st.key_id) is False and not is_authentic(st)
    st.payload = original.replace('"complies":false', '"complies":true')
    assert signing.verify(st.payload, st.signature, st.key_id) is False
    st.payload = original
    st.counted_total = st.counted_total + 50  # the row no longer says what was signed
    assert not is_authentic(st)
    db.session.commit()
    login(learner)
    assert "电子签名核验不通过" in text(client.get(f"/hours/statements/{st.id}"))


def test_statement_code_verifies_at_verify(client, learner):
    from ntbase.hours.statements import issue_statement
    from ntbase.verification.lookup import verify_code

    make_entry(learner, year=YEAR, category="public", hours="24")
    st = issue_statement(learner.id, YEAR)
    db.session.commit()
    result = verify_code(st.code)
    assert result.state == "valid" and result.kind == "statement" and result.year == YEAR
    assert result.holder_name_masked == "张**" and result.complies is False
    r = client.get("/verify", query_string={"code": st.code})
    assert r.status_code == 200 and "张**" in text(r)


def test_statement_year_is_checked(client, login, learner):
    login(learner)
    r = client.post("/me/hours/statements", data={"year": str(YEAR + 1)}, follow_redirects=True)
    assert "请选择 2011 年至今年之间的年度" in text(r)
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 0


def test_demo_load_is_idempotent(app_ctx):
    from ntbase.demo import load_bases, load_users
    from ntbase.hours import demo
    from ntbase.hours.services import assess_learner_year

    load_users(load_bases())
    demo.load()
    db.session.flush()
    n = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    demo.load()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == n == 6
    from ntbase.accounts.models import User

    learner = db.session.scalar(sa.select(User).where(User.email == "learner@demo.ntbase"))
    assert assess_learner_year(learner.id, YEAR - 2).complies
    assert assess_learner_year(learner.id, YEAR - 1).counted_total == 80
    states = db.session.scalars(sa.select(LedgerEntry.state).where(LedgerEntry.year == YEAR)).all()
    assert sorted(s.value for s in states) == ["accepted", "pending"]


def test_pending_queue_query_count_does_not_grow(client, login, office, count_queries):
    def add(n):
        for i in range(n):
            person = factories.make_learner(real_name=f"学员{i}")
            make_entry(person, year=YEAR, days="1", kind="training_class", state=EntryState.PENDING,
                       evidence=True, title=f"培训{i}")
            db.session.add(ExemptionEvent(learner_id=person.id, kind="exam_passed", year=YEAR, title=f"考试{i}",
                                          state=EntryState.PENDING, evidence_id=make_entry(
                                              person, year=YEAR - 1, hours="1", evidence=True).evidence_id))
        db.session.commit()

    login(office)

    def count():
        with count_queries() as q:
            r = client.get("/office/hours/pending")
            assert r.status_code == 200
        return q.count, r.get_data(as_text=True)

    add(1)
    small, _html = count()
    add(6)
    large, html = count()
    assert large == small and html.count('class="review-form"') == 14


def test_dashboard_in_english(client, login, learner):
    make_entry(learner, year=YEAR, category="public", hours="40")
    db.session.commit()
    login(learner)
    html = text(client.get("/me/hours?lang=en"))
    assert "60 more non-public hours needed" in html and "Public subjects: 40 h, of which at most 30 h" in html


def test_cli_commands(app_ctx, learner):
    make_entry(learner, year=YEAR, category="public", hours="24")
    db.session.commit()
    runner = app_ctx.test_cli_runner()
    assert "ensured" in runner.invoke(args=["ntbase", "hours-policies"]).output
    out = runner.invoke(args=["ntbase", "hours-assess", str(learner.id), str(YEAR), "--lang", "en"]).output
    assert "counted 24.0 / 90" in out and "[notice §1]" in out

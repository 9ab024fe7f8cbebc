"""Every employer route, walked from app.url_map, by the administrators of two employers (each
with the other's ids), a learner, base staff, the office and anonymous visitors: each is
refused, nothing leaks, and the database is unchanged after each refusal (row counts of
every table). A new route fails ``test_every_route_is_in_the_table`` until it is added."""
from datetime import timedelta

import pytest
from flask import g

from ntbase.employers import groups, plans, services
from ntbase.employers.models import FeeRecovery, LongTrainingConsent, Membership
from ntbase.hours.evidence import store_evidence
from ntbase.kernel.db import db, now
from tests.employers.helpers import PDF, add_member, make_employer, snapshot
from tests.factories import make_course, make_learner

OWN, FORBIDDEN, MISSING, LOGIN, HOME = "own", 403, 404, "login", "home"
YEAR = now().year

# endpoint -> expected answer for (other employer's admin, learner, base staff, office, anonymous)
EXPECTED = {
    "employers.register": (HOME, HOME, HOME, HOME, OWN),
    "employers.dashboard": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.details": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.admins": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.staff": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.staff_export": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.invite": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.new_join_code": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.withdraw": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.person": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.end_membership": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.department": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.self_study_new": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.self_study_list": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.group_list": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.group_new": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.group_detail": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.group_pay": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.group_cancel_member": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.consent": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.consent_file": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.plan_list": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.plan": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.plan_item_delete": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.plan_submit": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.report": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.recoveries": (OWN, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.recovery_new": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.recovery_withdraw": (MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.my_employers": (FORBIDDEN, OWN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.join": (FORBIDDEN, OWN, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.accept": (FORBIDDEN, MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.decline": (FORBIDDEN, MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.leave": (FORBIDDEN, MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers.answer": (FORBIDDEN, MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "employers_office.index": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.detail": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.decide": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.plans_index": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.plan_review": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.report_review": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
    "employers_office.assessment": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OWN, LOGIN),
}
ACTORS = ["other_admin", "learner", "staff", "office", "anonymous"]


def _ours(rule) -> bool:
    return rule.endpoint.split(".")[0] in ("employers", "employers_office")


def _side(name: str, office, course, long_course) -> dict:
    """An employer with one of everything: current member, open invitation, a paid group with a
    consent, self-study, a submitted plan, a report and a fee recovery request."""
    employer, admin = make_employer(name, office=office)
    member = make_learner(real_name=f"{name}员工")
    invited = make_learner(real_name=f"{name}受邀")
    m = add_member(employer, admin, member, "一科")
    inv = services.invite_by_id_number(employer, admin, invited.profile.id_number)
    row = groups.enroll_group(employer, admin, course.id, [member.id])
    long_row = groups.enroll_group(employer, admin, long_course.id, [member.id])
    enrollment = groups.enrollments.group_members(long_row.group_id)[0]
    evidence = store_evidence(admin.id, "合同.pdf", PDF)
    consent = LongTrainingConsent(employer_id=employer.id, enrollment_id=enrollment.id,
                                  consented_on=now().date(), contract_evidence_id=evidence.id, recorded_by_id=admin.id)
    db.session.add(consent)
    plans.add_plan_item(employer, YEAR, admin, plans.PlanItemInput("公需科目", "public", "全体", "24", "100"))
    plans.submit_plan(employer, YEAR, admin)
    plans.submit_report(employer, YEAR, admin, "说明")
    services.record_self_study(employer, m, admin, services.SelfStudyInput(
        "自学", now().date() - timedelta(days=3), now().date(), "6", "计划", "组织", "考核"),
        filename="a.pdf", content=PDF)
    group_member = groups.enrollments.group_members(row.group_id)[0]
    recovery = FeeRecovery(employer_id=employer.id, enrollment_id=group_member.id, learner_id=member.id,
                           amount_fen=100, reason="测试")
    db.session.add(recovery)
    db.session.flush()
    return {"employer": employer, "admin": admin, "member": member, "invited": invited,
            "ids": {"membership_id": m.id, "invitation_id": inv.id, "group_id": long_row.id,
                    "enrollment_id": enrollment.id, "consent_id": consent.id, "employer_id": employer.id,
                    "plan_id": plans.plan_of(employer.id, YEAR).id, "item_id": plans.plan_of(employer.id, YEAR).items[0].id,
                    "report_id": plans.report_of(employer.id, YEAR).id, "recovery_id": recovery.id,
                    "year": YEAR, "fmt": "csv", "action": "confirm"}}


@pytest.fixture()
def world(app_ctx, office, base_a, staff_a):
    course = make_course(base_a, title="甲课程", price_fen=10000, capacity=20)
    start = (now() + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    long_course = make_course(base_a, title="长期进修", price_fen=10000, capacity=20, sessions=100, start=start)
    a = _side("南通甲医院", office, course, long_course)
    b = _side("南通乙学校", office, course, long_course)
    db.session.commit()
    return {"a": a, "b": b, "office": office, "staff": staff_a}


def _url(rule, ids) -> str:
    values = {k: ids["invitation_id"] if k == "membership_id" and rule.endpoint in (
        "employers.withdraw", "employers.accept", "employers.decline") else ids[k] for k in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _post_data(victim) -> dict:
    return {"id_number": victim["member"].profile.id_number, "department": "x", "code": victim["employer"].join_code,
            "reason": "x", "amount": "1", "answer": "x", "consented_on": now().date().isoformat(), "topic": "x",
            "category": "public", "target_staff": "x", "planned_hours": "1", "budget": "", "confirm": "y",
            "invoice_title": "x", "invoice_taxpayer_no": "", "learner_ids": [victim["member"].id], "decision": "comment",
            "comment": "x", "note": "x", "ended_on": "", "display_name": "x", "email": "x@x.cn",
            "contact_name": "x", "contact_phone": "0513-85012345", "district": "haimen", "address": "x"}


def test_every_route_is_in_the_table(app_ctx):
    ours = {r.endpoint for r in app_ctx.url_map.iter_rules() if _ours(r)}
    assert ours == set(EXPECTED)


@pytest.mark.parametrize("who", range(len(ACTORS)), ids=ACTORS)
@pytest.mark.parametrize("direction", ["b_on_a", "a_on_b"])
def test_outsiders_are_refused_and_nothing_changes(client, login, world, who, direction):
    victim, attacker = (world["a"], world["b"]) if direction == "b_on_a" else (world["b"], world["a"])
    actor = [attacker["admin"], attacker["member"], world["staff"], world["office"], None][who]
    secrets_ = [victim["member"].profile.id_number, victim["member"].profile.real_name,
                victim["invited"].profile.real_name]
    checked = 0
    for rule in client.application.url_map.iter_rules():
        if not _ours(rule):
            continue
        expected = EXPECTED[rule.endpoint][who]
        if expected == OWN:
            continue  # acting on one's own account or as the office is not an attack (tested elsewhere)
        url = _url(rule, victim["ids"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = snapshot()
            g.pop("_login_user", None)
            if actor is not None:
                login(actor)
            else:
                with client.session_transaction() as sess:
                    sess.clear()
            r = client.open(url, method=method, data=_post_data(victim) if method == "POST" else None)
            if expected == LOGIN:
                assert r.status_code == 302 and "/account/login" in r.headers["Location"], (method, url)
            elif expected == HOME:
                assert r.status_code == 302 and "/account/login" not in r.headers["Location"], (method, url)
            else:
                assert r.status_code == expected, (method, url, r.status_code)
            body = r.get_data(as_text=True)
            assert not any(s in body for s in secrets_), (method, url)
            assert snapshot() == before, (method, url)  # nothing written by the refusal
            checked += 1
    assert checked >= 10


def test_a_pending_or_suspended_employer_cannot_act(client, login, world, office):
    a = world["a"]
    services.suspend_employer(a["employer"], office, "暂停")
    db.session.commit()
    login(a["admin"])
    before = snapshot()
    for url in ("/employer/staff", f"/employer/staff/{a['ids']['membership_id']}", "/employer/groups/new"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].endswith("/employer"), url
    r = client.post("/employer/staff/invite", data={"id_number": world["b"]["member"].profile.id_number})
    assert r.status_code == 302
    assert snapshot() == before
    assert "暂停" in client.get("/employer").get_data(as_text=True)


def test_a_learner_cannot_accept_anothers_invitation(client, login, world):
    a = world["a"]
    inv = db.session.get(Membership, a["ids"]["invitation_id"])
    login(a["member"])  # a learner, but not the one invited
    before = snapshot()
    assert client.post(f"/me/employers/{inv.id}/accept").status_code == 404
    assert snapshot() == before


def test_every_post_refuses_a_missing_or_forged_csrf_token(app_ctx, make_app, world):
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    a = world["a"]
    posts = [(r, _url(r, a["ids"])) for r in app.url_map.iter_rules() if _ours(r) and "POST" in r.methods]
    assert len(posts) >= 20
    with app.app_context():
        before = snapshot()
    for rule, url in posts:
        owner = (world["office"] if rule.endpoint.startswith("employers_office.") else
                 a["member"] if "/me/" in url else None if rule.endpoint == "employers.register" else a["admin"])
        c = app.test_client()
        if owner is not None:
            with c.session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = str(owner.id), True
        for token in (None, "forged.token.value"):
            data = _post_data(a)
            if token:
                data["csrf_token"] = token
            r = c.post(url, data=data)
            assert r.status_code in (400, 422) or (r.status_code == 302 and "/employer" in r.headers["Location"]), (
                url, token, r.status_code)
    with app.app_context():
        assert snapshot() == before

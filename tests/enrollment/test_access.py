"""Every route of enrollment and payments, walked from app.url_map, as every kind of outsider.

Learner A owns an enrollment, a payment (with a refund) and a calendar feed in base A's
course. Learner B, staff of base B, the office and anonymous visitors try every URL with
A's ids, A's payment reference and guessed tokens: nothing leaks and nothing changes.
A new route in these domains fails ``test_every_route_is_in_the_table`` until it is added.
"""
import pytest
from flask import g

from ntbase.enrollment import ics, services
from ntbase.kernel.db import db
from tests.enrollment.helpers import csrf_token, intent_of, paid_enrollment, snapshot
from tests.factories import make_course, make_learner

LOGIN, FORBIDDEN, MISSING, UNAUTHORIZED, BAD = "login", 403, 404, 401, 400


def _ours(app, rule) -> bool:
    module = app.view_functions[rule.endpoint].__module__
    return rule.endpoint.split(".")[0] in ("enrollment", "payments") or module == "ntbase.enrollment.api"


# endpoint -> expected answer for (learner B, staff B, office, anonymous); "own" = B's own action
EXPECTED = {
    "enrollment.enroll": ("own", FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.my_courses": ("own", FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.checkout": (MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.accept": (MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.cancel": (MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.receipt": (MISSING, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.calendar": (MISSING, MISSING, MISSING, MISSING),
    "enrollment.roster": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.manual_enroll": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.roster_export": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.figures": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.staff_refund": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "enrollment.retry_refund": (FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN),
    "payments.sandbox_pay": (MISSING, MISSING, MISSING, LOGIN),
    "payments.webhook": (BAD, BAD, BAD, BAD),
    "api.my_enrollments": ("own", FORBIDDEN, FORBIDDEN, UNAUTHORIZED),
    "api.enroll": ("own", FORBIDDEN, FORBIDDEN, UNAUTHORIZED),
    "api.payment": (MISSING, MISSING, MISSING, UNAUTHORIZED),
}


@pytest.fixture()
def world(client, base_a, learner, staff_a, staff_b, office):
    from ntbase.payments.models import Refund

    course = make_course(base_a, title="甲基地收费课", price_fen=20000, capacity=5)
    e = paid_enrollment(client, course, learner)
    services.staff_refund(e, 1000, "部分退款", key="ab" * 16, staff=staff_a)
    db.session.commit()
    refund = db.session.query(Refund).one()
    learner_b = make_learner(real_name="乙学员")
    db.session.commit()
    own_token = ics.calendar_token(learner)
    head, _, sig = own_token.partition(".")
    return {
        "course_id": course.id, "enrollment_id": e.id, "base_id": base_a.id, "refund_id": refund.id,
        "provider_ref": intent_of(e).provider_ref, "fmt": "csv", "provider": "sandbox",
        # a guessed token: A's payload with B's signature, and the real one's shape with a bad signature
        "token": head + "." + sig[::-1],
        "learner_b": learner_b, "staff_b": staff_b, "office": office,
        "id_number": learner.profile.id_number, "name_a": learner.profile.real_name,
    }


def _urls(app, world):
    for rule in app.url_map.iter_rules():
        if not _ours(app, rule):
            continue
        url = rule.build({k: world[k] for k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_is_in_the_table(app_ctx):
    ours = {r.endpoint for r in app_ctx.url_map.iter_rules() if _ours(app_ctx, r)}
    assert ours == set(EXPECTED)


@pytest.mark.parametrize("who", [0, 1, 2, 3], ids=["learner_b", "staff_b", "office", "anonymous"])
def test_outsiders_get_nothing(client, login, world, who):
    actor = [world.get("learner_b"), world["staff_b"], world["office"], None][who]
    before = snapshot()
    checked = 0
    for endpoint, method, url in _urls(client.application, world):
        expected = EXPECTED[endpoint][who]
        if expected == "own":
            continue  # B acting on B's own account is not an attack (tested elsewhere)
        g.pop("_login_user", None)
        if actor is not None:
            login(actor)
        else:
            with client.session_transaction() as sess:
                sess.clear()
        data = {"id_number": world["id_number"], "amount": "100", "reason": "x", "key": "cd" * 16,
                "action": "pay", "method": "wechat"} if method == "POST" else None
        r = client.open(url, method=method, data=data)
        if expected == LOGIN:
            assert r.status_code == 302 and "/account/login" in r.headers["Location"], (method, url)
        else:
            assert r.status_code == expected, (method, url, r.status_code)
        body = r.get_data(as_text=True)
        assert world["id_number"] not in body and world["name_a"] not in body, (method, url)
        checked += 1
    assert checked >= 14
    assert snapshot() == before  # nobody changed anything


def test_learner_b_cannot_guess_ids_or_references(client, login, world):
    login(world["learner_b"])
    eid = world["enrollment_id"]
    for guess in (eid, eid + 1, eid - 1, 0, 10**9):
        for path in ("pay", "receipt"):
            assert client.get(f"/me/enrollments/{guess}/{path}").status_code == 404
    ref = world["provider_ref"]
    for guess in (ref, ref[:-1] + ("0" if ref[-1] != "0" else "1"), "sbx_pi_" + "0" * 24):
        assert client.get(f"/pay/sandbox/{guess}").status_code == 404
        assert client.get(f"/api/v1/payments/{guess}").status_code == 404
    # B's own feed shows none of A's sessions
    feed = client.get(f"/calendar/{ics.calendar_token(world['learner_b'])}.ics")
    assert feed.status_code == 200 and "甲基地收费课" not in feed.get_data(as_text=True)


def _post_routes(app, world):
    for endpoint, method, url in _urls(app, world):
        if method == "POST" and endpoint != "payments.webhook":  # the webhook is signed, not a form
            yield endpoint, url


def test_every_post_refuses_a_missing_or_forged_csrf_token(app_ctx, make_app, world, staff_a, learner):
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    posts = list(_post_routes(app, world))
    assert {e for e, _ in posts} >= {"enrollment.enroll", "enrollment.checkout", "enrollment.accept",
                                     "enrollment.cancel", "enrollment.manual_enroll", "enrollment.staff_refund",
                                     "enrollment.retry_refund", "payments.sandbox_pay"}
    with app.app_context():
        before = snapshot()
    for endpoint, url in posts:
        if endpoint.startswith("api."):
            continue  # CSRF-exempt JSON; see test_api.test_a_cross_site_form_cannot_enroll_through_the_api
        owner = staff_a if "/manage/" in url else learner
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(owner.id), True
        other = app.test_client()  # a genuine token, but from another session
        with other.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(world["learner_b"].id), True
        foreign = csrf_token(other.get(f"/courses/{world['course_id']}/enroll").get_data(as_text=True))
        for token in (None, "forged.token.value", foreign):
            data = {"id_number": world["id_number"], "amount": "100", "reason": "x", "key": "ef" * 16,
                    "action": "pay", "method": "wechat", "invoice_title": "", "invoice_taxpayer_no": ""}
            if token:
                data["csrf_token"] = token
            r = c.post(url, data=data)
            assert r.status_code == 400, (url, token, r.status_code)
    with app.app_context():
        assert snapshot() == before

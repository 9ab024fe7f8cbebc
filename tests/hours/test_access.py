"""Who may open which hours URL: every route, every role."""
import pytest
from flask import g

from ntbase.accounts.models import AppointmentPeriod
from ntbase.hours.models import EntryState, ExemptionEvent, Policy
from ntbase.hours.policy import ensure_default_policies
from ntbase.hours.statements import issue_statement
from ntbase.kernel.db import db, now
from tests import factories
from tests.hours.factories import make_entry

YEAR = now().year


@pytest.fixture()
def world(app_ctx, learner, office, staff_a, staff_b, admin):
    ensure_default_policies()
    other = factories.make_learner(real_name="李四")
    entry = make_entry(learner, year=YEAR, hours="10", state=EntryState.PENDING, evidence=True)
    event = ExemptionEvent(learner_id=learner.id, kind="exam_passed", year=YEAR, title="考试",
                           state=EntryState.PENDING)
    period = AppointmentPeriod(learner_id=learner.id, start_year=YEAR - 1, end_year=YEAR + 1)
    db.session.add_all([event, period])
    db.session.flush()
    st = issue_statement(learner.id, YEAR)
    policy = db.session.scalar(db.select(Policy))
    db.session.commit()
    return {"learner": learner, "other": other, "office": office, "staff_a": staff_a, "staff_b": staff_b,
            "admin": admin, "entry": entry, "event": event, "period": period, "statement": st, "policy": policy}


def as_(client, login, user):
    g.pop("_login_user", None)
    if user is not None:
        login(user)
    else:
        with client.session_transaction() as sess:
            sess.clear()


LEARNER_GET = ["/me/hours", "/me/hours/entries/new", "/me/hours/exemptions/new", "/me/hours/periods"]
OFFICE_GET = ["/office/hours/pending", "/office/policies", "/office/policies/new",
              "/office/policies/{policy}/edit", "/office/hours/learners/{learner}"]
OWNER_OR_OFFICE_GET = ["/hours/evidence/{evidence}", "/hours/statements/{statement}",
                       "/hours/statements/{statement}.pdf"]


def fill(url, w):
    return url.format(policy=w["policy"].id, learner=w["learner"].id, evidence=w["entry"].evidence_id,
                      statement=w["statement"].id)


@pytest.mark.parametrize("url", LEARNER_GET)
@pytest.mark.parametrize("who, status", [("learner", 200), ("other", 200), ("office", 403), ("staff_a", 403),
                                         ("staff_b", 403), (None, 302)])
def test_learner_pages(client, login, world, url, who, status):
    as_(client, login, world[who] if who else None)
    r = client.get(url)
    assert r.status_code == status
    if status == 302:
        assert "/account/login" in r.headers["Location"]


@pytest.mark.parametrize("url", OFFICE_GET)
@pytest.mark.parametrize("who, status", [("office", 200), ("admin", 200), ("learner", 403), ("staff_a", 403),
                                         ("staff_b", 403), (None, 302)])
def test_office_pages(client, login, world, url, who, status):
    as_(client, login, world[who] if who else None)
    assert client.get(fill(url, world)).status_code == status


@pytest.mark.parametrize("url", OWNER_OR_OFFICE_GET)
@pytest.mark.parametrize("who, status", [("learner", 200), ("office", 200), ("admin", 200), ("other", 403),
                                         ("staff_a", 403), ("staff_b", 403), (None, 302)])
def test_owner_or_office(client, login, world, url, who, status):
    as_(client, login, world[who] if who else None)
    assert client.get(fill(url, world)).status_code == status


@pytest.mark.parametrize("who", ["learner", "other", "staff_a", "staff_b"])
def test_only_office_reviews(client, login, world, who):
    as_(client, login, world[who])
    for url in (f"/office/hours/entries/{world['entry'].id}/review",
                f"/office/hours/exemptions/{world['event'].id}/review"):
        assert client.post(url, data={"decision": "accept", "reason": "x"}).status_code == 403
    assert client.post(f"/office/hours/learners/{world['learner'].id}",
                       data={"year": str(YEAR), "hours": "90", "category": "public", "reason": "x"}).status_code == 403
    assert client.post("/office/policies/rounds", data={"round": "5", "year": "2030", "reason": "x"}).status_code == 403
    assert world["entry"].state == EntryState.PENDING


def test_another_learner_cannot_touch_my_entries(client, login, world):
    as_(client, login, world["other"])
    assert client.post(f"/me/hours/entries/{world['entry'].id}/withdraw").status_code == 404
    assert client.post(f"/me/hours/exemptions/{world['event'].id}/withdraw").status_code == 404
    assert client.post(f"/me/hours/periods/{world['period'].id}/delete").status_code == 404
    db.session.expire_all()
    assert world["entry"].state == EntryState.PENDING and db.session.get(AppointmentPeriod, world["period"].id)


@pytest.mark.parametrize("who", ["office", "staff_a"])
def test_learner_post_routes_refuse_others(client, login, world, who):
    as_(client, login, world[who])
    assert client.post("/me/hours/statements", data={"year": str(YEAR)}).status_code == 403
    assert client.post(f"/me/hours/entries/{world['entry'].id}/withdraw").status_code == 403


def test_unknown_objects_are_404(client, login, world):
    as_(client, login, world["office"])
    for url in ("/hours/evidence/99999", "/hours/statements/99999", "/office/policies/99999/edit",
                f"/office/hours/learners/{world['office'].id}"):
        assert client.get(url).status_code == 404, url


def test_public_pages_need_no_account(client, world):
    as_(client, None, None)
    assert client.get("/hours/calculator").status_code == 200
    assert client.post("/api/v1/hours/assess", json={"year": YEAR}).status_code == 200

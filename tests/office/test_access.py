"""Every route under /office and /api/v1/office refuses learners and base staff (sessions
and tokens), walks the real URL map so a new route cannot forget its check."""
import pytest
import sqlalchemy as sa

from ntbase.kernel.db import db
from ntbase.office import complaints, tokens
from ntbase.office.tokens.models import ApiToken


def _office_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/office") or rule.rule.startswith("/api/v1/office"):
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "entry")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                rules.append((method, url))
    return rules


def test_the_walk_covers_the_console(app):
    urls = {u for _m, u in _office_rules(app)}
    assert {"/office", "/office/verify", "/office/person", "/office/applicants", "/office/bases",
            "/office/complaints", "/office/audit", "/office/tokens", "/office/stats",
            "/api/v1/office/verify-bulk", "/api/v1/office/person-assessment"} <= urls


@pytest.mark.parametrize("who", ["learner", "staff_a"])
def test_learners_and_staff_get_403_everywhere(client, login, who, request, base_a):
    user = request.getfixturevalue(who)
    login(user)
    refused = []
    for method, url in _office_rules(client.application):
        r = client.open(url, method=method, json={} if url.startswith("/api/") else None)
        if r.status_code != 403:
            refused.append((method, url, r.status_code))
    assert refused == []


@pytest.mark.parametrize("role", ["learner", "base_staff"])
def test_tokens_of_non_office_users_get_403(client, learner, staff_a, role):
    owner = learner if role == "learner" else staff_a
    secret = "ntb_" + role + "-secret-token-value"
    db.session.add(ApiToken(name="x", token_hash=tokens.hash_token(secret), prefix=secret[:12],
                            owner_id=owner.id, scopes=list(tokens.SCOPES)))
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    for method, url in _office_rules(client.application):
        if url.startswith("/api/v1/office"):
            r = client.open(url, method=method, json={"codes": ["X"], "id_number": "1"}, headers=headers)
            assert r.status_code == 403, url
            assert r.is_json and r.get_json()["error"] == "forbidden"


def test_anonymous_is_sent_to_login_or_401(client):
    for method, url in _office_rules(client.application):
        r = client.open(url, method=method, json={} if url.startswith("/api/") else None)
        if url.startswith("/api/"):
            assert r.status_code == 401, url
        else:
            assert r.status_code == 302 and "/account/login" in r.headers["Location"], url


@pytest.mark.parametrize("url", ["/office", "/office/verify", "/office/person", "/office/applicants",
                                 "/office/bases", "/office/complaints", "/office/tokens", "/office/stats"])
def test_office_staff_reach_the_console(client, login, office, url):
    login(office)
    assert client.get(url).status_code == 200


# (one user per test: the test app context keeps flask-login's user in ``g``)
@pytest.mark.parametrize("who, status", [("office", 403), ("admin", 200)])
def test_audit_search_is_for_admins_only(client, login, who, status, request):
    login(request.getfixturevalue(who))
    assert client.get("/office/audit").status_code == status


@pytest.mark.parametrize("url", ["/me/audit", "/me/complaints", "/me/complaints/new"])
@pytest.mark.parametrize("who, status", [("office", 403), ("staff_a", 403), ("learner", 200)])
def test_learner_pages_are_for_learners(client, login, url, who, status, request):
    login(request.getfixturevalue(who))
    assert client.get(url).status_code == status


def test_console_home_shows_counts_and_links(client, login, office):
    login(office)
    html = client.get("/office").get_data(as_text=True)
    for ep in ("/office/verify", "/office/person", "/office/applicants", "/office/bases", "/office/complaints",
               "/office/stats", "/office/tokens"):
        assert ep in html
    assert "逾期" in html


# ---------------------------------------------------------------- review fixes
def _me_rules(app):
    """The learner's side of this domain (/me/audit, /me/complaints…, /me/courses/<id>/rate)."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("office.") and rule.rule.startswith("/me/"):
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, url))
    return out


def test_the_me_walk_covers_the_learner_pages(app):
    assert {u for _m, u in _me_rules(app)} >= {"/me/audit", "/me/complaints", "/me/complaints/new",
                                                "/me/complaints/1", "/me/complaints/1/files/1",
                                                "/me/courses/1/rate"}


@pytest.mark.parametrize("who", ["office", "staff_a"])
def test_learner_side_refuses_office_and_staff_by_every_url(client, login, who, request):
    login(request.getfixturevalue(who))
    wrong = [(m, u, r.status_code) for m, u in _me_rules(client.application)
             if (r := client.open(u, method=m)).status_code != 403]
    assert wrong == []


def test_anonymous_learner_side_goes_to_login(client):
    for method, url in _me_rules(client.application):
        r = client.open(url, method=method)
        assert r.status_code == 302 and "/account/login" in r.headers["Location"], url


def test_admin_reaches_every_console_page(client, login, admin, base_a):
    """Admins pass every office check: no page refuses them or breaks (404 = no such object)."""
    login(admin)
    seen = {}
    for method, url in _office_rules(client.application):
        if method == "GET" and not url.startswith("/api/"):
            seen[url] = client.get(url).status_code
    assert {u: s for u, s in seen.items() if s not in (200, 404)} == {}
    assert seen["/office"] == seen["/office/audit"] == seen["/office/stats"] == 200


def test_forged_posts_are_refused_everywhere(make_app, app_ctx, office, learner, base_a):
    """Every POST of the console and of the learner's pages, sent from another site (no CSRF
    token) by a logged-in user who could otherwise do it: 400, and nothing changes."""
    from ntbase.kernel.audit import AuditLog
    from ntbase.office.applicants.models import TitleApplication
    from ntbase.office.bulk.models import BulkJob
    from ntbase.office.complaints.models import Complaint
    from tests.factories import make_course
    from tests.office.helpers import completed_enrollment

    course = make_course(base_a)
    completed_enrollment(learner, course)
    complaint = complaints.file_complaint(learner, complaints.ComplaintInput(
        target="base", base_id=base_a.id, subject="伪造请求测试", details="用于检查跨站请求伪造防护。"))
    token, _secret = tokens.create_token(office, "系统", ["verify:bulk"], 30)
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)

    def counts():
        return [db.session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (AuditLog, BulkJob, Complaint, TitleApplication)]

    before = counts()
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and (rule.rule.startswith("/office") or
                                       (rule.rule.startswith("/me/") and rule.endpoint.startswith("office."))):
            url = rule.rule
            for arg in rule.arguments:
                value = {"complaint_id": complaint.id, "token_id": token.id, "course_id": course.id,
                         "user_id": learner.id, "base_id": base_a.id}.get(arg, 1)
                url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", "entry")
            posts.append(url)
    assert {"/office/verify", f"/office/tokens/{token.id}/revoke", f"/office/bases/{base_a.id}/status",
            f"/office/complaints/{complaint.id}", "/me/complaints/new", f"/me/courses/{course.id}/rate"} <= set(posts)
    hostile = {"status": "revoked", "reason": "伪造", "to": "answered", "answer": "伪造的答复内容", "stars": "1",
               "target": "base", "base_id": str(base_a.id), "subject": "伪造", "details": "伪造的投诉内容很长",
               "id_number": learner.profile.id_number, "year": "2021", "committee": "nantong", "name": "x",
               "scopes": "verify:bulk", "days": "30", "decision": "accept", "note": "伪造"}
    for url in posts:
        who = learner if url.startswith("/me/") else office
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = str(who.id)
            s["_fresh"] = True
        r = c.post(url, data=hostile)
        assert r.status_code == 400, (url, r.status_code)
    db.session.expire_all()
    assert counts() == before
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert base_a.status.value == "certified"
    assert db.session.get(Complaint, complaint.id).state.value == "received"


def test_console_home_counts_the_whole_hours_queue_and_links_it(client, login, office, learner):
    from ntbase.hours.models import EntryState
    from tests.office.helpers import add_entry, add_round_certificate

    add_entry(learner, year=2022, hours="6", state=EntryState.PENDING)
    add_round_certificate(learner, 5, state=EntryState.PENDING)
    db.session.commit()
    login(office)
    html = client.get("/office").get_data(as_text=True)
    card = html.split('id="pending-hours"')[1].split("</a>")[0]
    assert 'href="/office/hours/pending"' in html and "<strong>2</strong>" in card
    assert 'href="/office/policies"' in html

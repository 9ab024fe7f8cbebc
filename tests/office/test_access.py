"""Every route under /office and /api/v1/office refuses learners and base staff (sessions
and tokens), walks the real URL map so a new route cannot forget its check."""
import pytest

from ntbase.db import db
from ntbase.office import services
from ntbase.office.models import ApiToken


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
    db.session.add(ApiToken(name="x", token_hash=services.hash_token(secret), prefix=secret[:12],
                            owner_id=owner.id, scopes=list(services.SCOPES)))
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

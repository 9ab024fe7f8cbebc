"""Every route of the bases and catalog pages, walked as an outsider.

The routes come from ``app.url_map`` (a route added later is walked too): staff of base
B, learners, the office and anonymous visitors try each one with base A's ids and a
form that would change something. Each must be refused (403/404, or the login page)
and leave the database exactly as it was. With CSRF on, a forged POST (no token) from
base A's own staff is refused too.
"""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from ntbase.kernel.db import db
from tests.catalog.helpers import as_user, course_input, disclose, published_course

OWN_BLUEPRINTS = ("bases.", "catalog.")
CATALOG_API = ("api.api_bases", "api.api_base", "api.api_courses", "api.api_course")
WATCHED_TABLES = ("base", "course", "course_session", "course_fee_line", "course_teacher", "course_change",
                  "fee_item", "teacher", "manager", "location", "room", "disclosure_version", "notice")


def _rules(app, *, methods=("GET", "POST")):
    """(endpoint, method, rule) for our own routes under /manage, /bases, /courses and the catalog API."""
    out = []
    for rule in app.url_map.iter_rules():
        if not (rule.endpoint.startswith(OWN_BLUEPRINTS) or rule.endpoint in CATALOG_API):
            continue
        for method in sorted(rule.methods & set(methods)):
            out.append((rule.endpoint, method, rule))
    return sorted(out, key=lambda t: (t[2].rule, t[1]))


def _urls(app, rule, ids) -> list[str]:
    """Every concrete URL of ``rule`` with base A's ids (one per kind of disclosure item)."""
    from flask import url_for

    values = {"base_id": ids["base"], "course_id": ids["draft"], "location_id": ids["location"],
              "version": 1, "fmt": "csv"}
    with app.test_request_context():
        if "kind" in rule.arguments:
            urls = []
            for kind, item in (("fee", "fee"), ("teacher", "teacher"), ("manager", "manager"),
                               ("location", "location"), ("room", "room")):
                args = {k: v for k, v in values.items() if k in rule.arguments}
                args["kind"] = kind
                if "item_id" in rule.arguments:
                    args["item_id"] = ids[item]
                urls.append(url_for(rule.endpoint, **args))
            return urls
        args = {k: v for k, v in values.items() if k in rule.arguments}
        urls = [url_for(rule.endpoint, **args)]
        if "course_id" in rule.arguments:  # the published course too
            urls.append(url_for(rule.endpoint, **dict(args, course_id=ids["published"])))
        if "fmt" in rule.arguments:
            urls.append(url_for(rule.endpoint, **dict(args, fmt="xlsx")))
        return urls


def _snapshot() -> dict:
    out = {}
    for table in WATCHED_TABLES:
        rows = db.session.execute(sa.text(f'SELECT * FROM "{table}"')).all()
        out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def _hostile_form(ids) -> dict:
    """A form that would create or change something if the route let it through."""
    return {
        "title": "被改了", "category": "public", "mode": "in_person", "teacher_ids": [str(ids["teacher"])],
        "room_id": str(ids["room"]), "sessions-0-day": "2030-01-05", "sessions-0-start": "09:00",
        "sessions-0-end": "17:00", "capacity": "10", "refund_cutoff_hours": "24", "reason": "恶意取消",
        "change_reason": "x", "name": "被改了", "amount_yuan": "1", "unit": "每人", "covers": "x",
        "organisation": "x", "subjects": ["public"], "staff_levels": ["junior"], "scope_text": "x",
        "terms_text": "x", "refund_policy": "x", "duty": "x", "contact": "x", "address": "x", "facilities": "x",
        "seats": "5", "bio": "", "payload": "x",
        "file": (io.BytesIO("课程名称,类别\n".encode()), "a.csv"),
    }


@pytest.fixture()
def world(base_a, base_b):
    """Base A with a complete disclosure, a draft and a published course; base B disclosed too."""
    d = disclose(base_a)
    disclose(base_b, prefix="乙")
    draft = __import__("ntbase.catalog.services", fromlist=["x"]).create_course(
        base_a, course_input(d, title="甲基地草稿课程", start_day=60))
    pub = published_course(d, title="甲基地已发布课程", start_day=30)
    db.session.commit()
    manager = d.base.managers[0] if d.base.managers else None
    return {"base": base_a.id, "draft": draft.id, "published": pub.id, "location": d.location.id,
            "fee": d.fee.id, "teacher": d.teacher.id, "room": d.room.id,
            "manager": manager.id if manager else 0}


def _walk(client, app, ids, *, manage_only: bool):
    results = []
    for endpoint, method, rule in _rules(app):
        if manage_only and not rule.rule.startswith("/manage"):
            continue
        for url in _urls(app, rule, ids):
            kwargs = {"data": _hostile_form(ids), "content_type": "multipart/form-data"} if method == "POST" else {}
            r = client.open(url, method=method, **kwargs)
            results.append((endpoint, method, url, r))
    return results


@pytest.mark.parametrize("who", ["staff_b", "learner", "office"])
def test_outsiders_are_refused_on_every_manage_route_and_nothing_changes(app, client, login, world, who, request):
    user = request.getfixturevalue(who)
    before = _snapshot()
    as_user(login, user)
    results = _walk(client, app, world, manage_only=True)
    assert len(results) >= 20  # the walk really covers the staff pages
    wrong = [(e, m, u, r.status_code) for e, m, u, r in results if r.status_code not in (403, 404)]
    assert not wrong, wrong
    db.session.expire_all()
    assert _snapshot() == before


def test_anonymous_is_sent_to_login_on_every_manage_route(app, client, world):
    before = _snapshot()
    results = _walk(client, app, world, manage_only=True)
    wrong = [(e, m, u, r.status_code) for e, m, u, r in results
             if not (r.status_code == 302 and "/account/login" in r.headers["Location"])
             and r.status_code not in (403, 404)]
    assert not wrong, wrong
    db.session.expire_all()
    assert _snapshot() == before


@pytest.mark.parametrize("who", [None, "staff_b", "learner"])
def test_public_routes_and_api_never_show_base_a_draft(app, client, login, world, who, request):
    if who:
        as_user(login, request.getfixturevalue(who))
    results = _walk(client, app, world, manage_only=False)
    public = [(e, u, r) for e, m, u, r in results if not u.startswith("/manage")]
    assert {e for e, _u, _r in public} >= {"catalog.index", "catalog.course", "catalog.course_ics", "bases.detail",
                                          "api.api_courses", "api.api_course", "api.api_bases", "api.api_base"}
    for endpoint, url, r in public:
        body = r.get_data(as_text=True)
        if f"/{world['draft']}" in url and endpoint in ("catalog.course", "catalog.course_ics", "api.api_course"):
            assert r.status_code == 404, url
        assert "甲基地草稿课程" not in body, url
    listing = client.get("/api/v1/courses?include_past=true&q=甲基地").json
    assert [c["title"] for c in listing["items"]] == ["甲基地已发布课程"]


def test_forged_posts_without_csrf_token_are_refused(make_app, world, staff_a):
    """Base A's own staff, but the POST comes from another site (no CSRF token)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    with c.session_transaction() as s:
        s["_user_id"] = str(staff_a.id)
        s["_fresh"] = True
    before = _snapshot()
    posts = _rules(app, methods=("POST",))
    assert {e for e, _m, _r in posts} >= {"catalog.new_course", "catalog.edit_course", "catalog.publish_course",
                                          "catalog.close_course", "catalog.cancel_course", "catalog.import_courses",
                                          "catalog.import_confirm", "bases.edit_scope", "bases.new_item",
                                          "bases.edit_item", "bases.retire_item", "bases.new_room",
                                          "bases.edit_refund_policy"}
    for endpoint, _m, rule in posts:
        for url in _urls(app, rule, world):
            r = c.post(url, data=_hostile_form(world), content_type="multipart/form-data")
            assert r.status_code == 400, (endpoint, url, r.status_code)
    with app.app_context():
        db.session.expire_all()
        assert _snapshot() == before

import sqlalchemy as sa

from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment
from ntbase.kernel.db import db
from tests.enrollment.helpers import intent_of
from tests.factories import make_course, make_learner


def test_enroll_and_list_through_the_api(client, login, base_a, learner):
    course = make_course(base_a, price_fen=8800)
    db.session.commit()
    login(learner)
    r = client.post(f"/api/v1/courses/{course.id}/enrollments", json={})
    assert r.status_code == 201
    body = r.json
    assert body["state"] == "held" and body["price_fen"] == 8800
    assert body["payment_url"].startswith("/pay/sandbox/sbx_pi_")
    assert body["payments"][0]["status"] == "pending" and body["payments"][0]["amount_fen"] == 8800
    r = client.post(f"/api/v1/courses/{course.id}/enrollments", json={})
    assert r.status_code == 409 and r.json["error"] == "duplicate"
    items = client.get("/api/v1/me/enrollments").json["items"]
    assert [i["id"] for i in items] == [db.session.scalar(sa.select(Enrollment.id))]
    ref = intent_of(db.session.scalars(sa.select(Enrollment)).one()).provider_ref
    assert client.get(f"/api/v1/payments/{ref}").json["amount_fen"] == 8800


def test_api_errors_are_json(client, login, base_a, learner, staff_a):
    course = make_course(base_a, status="cancelled")
    db.session.commit()
    assert client.get("/api/v1/me/enrollments").status_code == 401
    login(learner)
    r = client.post(f"/api/v1/courses/{course.id}/enrollments", json={})
    assert r.status_code == 422 and r.json["error"] == "cancelled" and r.json["message"]
    assert client.post("/api/v1/courses/99999/enrollments", json={}).status_code == 404
    login(staff_a)
    assert client.get("/api/v1/me/enrollments").status_code == 403


def test_someone_elses_payment_is_404(client, login, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=100), learner)
    other = make_learner()
    db.session.commit()
    login(other)
    assert client.get(f"/api/v1/payments/{intent_of(e).provider_ref}").status_code == 404


def test_openapi_documents_enrollment(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "/api/v1/courses/{course_id}/enrollments" in doc["paths"]
    assert "PaymentIntentOut" in doc["components"]["schemas"]


def test_a_cross_site_form_cannot_enroll_through_the_api(client, login, base_a, learner):
    """The API is CSRF-exempt: a plain form POST (what another site can send) is refused."""
    course = make_course(base_a, price_fen=0)
    db.session.commit()
    login(learner)
    for kwargs in ({}, {"data": {"x": "1"}}, {"data": "{}", "content_type": "text/plain"}):
        r = client.post(f"/api/v1/courses/{course.id}/enrollments", **kwargs)
        assert r.status_code == 400 and r.json["error"] == "bad_request"
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 0
    assert client.post(f"/api/v1/courses/{course.id}/enrollments", json={}).status_code == 201

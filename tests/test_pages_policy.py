"""Every GET page of the app, for every role, with the demo data: nothing in it that the
Content-Security-Policy would block (#15.1).

tests/conftest.py checks each HTML response of the test apps (``refuse_inline_code``);
this walk makes sure pages that no other test opens are rendered too. URL arguments are
filled from the demo's rows (the base of the staff member, a course of it, …).
"""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.kernel.db import db
from tests.conftest import load_demo_data

ROLES = ["anonymous", "learner@demo.ntbase", "staff.ntvu@demo.ntbase", "office@demo.ntbase", "admin@demo.ntbase"]
SKIP = {"static", "main.set_language", "enrollment.calendar", "accounts.reset", "attendance.checkin_enrollment",
        "attendance.checkin_venue"}  # tokens made for one person, or files


def _first(stmt):
    return db.session.scalar(stmt.limit(1))


def _values(user) -> dict:
    from ntbase.bases.models import Location, TrainingBase
    from ntbase.catalog.models import Course, CourseSession
    from ntbase.certificates.models import Certificate
    from ntbase.enrollment.models import Enrollment
    from ntbase.hours.models import Evidence, Policy, Statement
    from ntbase.office.bulk.models import BulkJob
    from ntbase.office.complaints.models import Complaint
    from ntbase.payments.models import PaymentIntent

    base_id = (user.base_id if user is not None and user.base_id else None) or _first(sa.select(TrainingBase.id))
    course_id = _first(sa.select(Course.id).where(Course.base_id == base_id).order_by(Course.id))
    mine = Enrollment.learner_id == user.id if user is not None and user.is_learner else sa.true()
    learner_id = _first(sa.select(Enrollment.learner_id).order_by(Enrollment.id))
    v = {
        "base_id": base_id, "course_id": course_id,
        "session_id": _first(sa.select(CourseSession.id).where(CourseSession.course_id == course_id)),
        "enrollment_id": _first(sa.select(Enrollment.id).where(mine).order_by(Enrollment.id)),
        "cert_id": _first(sa.select(Certificate.id).order_by(Certificate.id)),
        "code": _first(sa.select(Certificate.code).order_by(Certificate.id)),
        "statement_id": _first(sa.select(Statement.id).order_by(Statement.id)),
        "policy_id": _first(sa.select(Policy.id).order_by(Policy.id)),
        "evidence_id": _first(sa.select(Evidence.id).order_by(Evidence.id)),
        "job_id": _first(sa.select(BulkJob.id).order_by(BulkJob.id)),
        "complaint_id": _first(sa.select(Complaint.id).order_by(Complaint.id)),
        "provider_ref": _first(sa.select(PaymentIntent.provider_ref).order_by(PaymentIntent.id)),
        "learner_id": learner_id,
        "location_id": _first(sa.select(Location.id).where(Location.base_id == base_id)),
        "kind": "teacher", "item_id": 1, "version": 1, "fmt": "csv",
    }
    if user is not None and user.is_office and learner_id:
        from ntbase.office.person import links

        v["ref"] = links._serializer().dumps([int(learner_id), int(user.id)])
    return v


def test_every_get_page_for_every_role_obeys_the_csp(app_ctx, client, login):
    from flask import url_for

    from ntbase.accounts.models import User

    load_demo_data()
    rules = [r for r in app_ctx.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIP]
    html_pages, statuses = 0, set()
    for role in ROLES:
        user = None if role == "anonymous" else db.session.scalar(sa.select(User).where(User.email == role))
        if user is not None:  # anonymous comes first, then each role in turn
            login(user)
        with app_ctx.test_request_context():
            values = _values(user)
            urls = []
            for rule in rules:
                args = {a: values.get(a) for a in rule.arguments}
                if any(v is None for v in args.values()):
                    continue
                urls.append(url_for(rule.endpoint, **args))
        for url in urls:
            resp = client.get(url)  # conftest.refuse_inline_code raises on inline style or script
            statuses.add(resp.status_code)
            if resp.mimetype == "text/html":
                html_pages += 1
                assert "Content-Security-Policy" in resp.headers, url
    assert html_pages > 200, html_pages
    assert 200 in statuses

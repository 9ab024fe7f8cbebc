"""Bases: certification, suspension/revocation, assessments with NTBase's figures; ratings."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.certificates.models import CertificateState
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import BaseLevel, CertificationStatus
from ntbase.kernel.errors import DomainError
from ntbase.office import bases, complaints, ratings
from ntbase.office.bases.models import BaseAssessment
from ntbase.office.ratings import services as ratings_services
from ntbase.office.ratings.models import CourseRating
from tests.factories import make_course, make_learner
from tests.office.helpers import completed_enrollment, make_certificate


def test_certify_sets_level_levels_and_talent(app_ctx, office, base_a):
    bases.certify_base(base_a, level="county", staff_levels=["junior", "intermediate"], is_talent_base=True,
                          reason="2025年度认定", actor=office)
    assert base_a.level == BaseLevel.COUNTY and base_a.staff_levels == ["junior", "intermediate"]
    assert base_a.is_talent_base and base_a.status == CertificationStatus.CERTIFIED
    with pytest.raises(DomainError):
        bases.certify_base(base_a, level="county", staff_levels=[], is_talent_base=False, reason="", actor=office)


def test_suspend_hides_from_catalog_and_keeps_certificates(client, login, office, base_a, learner):
    cert = make_certificate(learner, base_a)
    db.session.commit()
    login(office)
    resp = client.post(f"/office/bases/{base_a.id}/status", data={"status": "suspended", "reason": ""})
    assert resp.status_code == 422  # a reason is required
    resp = client.post(f"/office/bases/{base_a.id}/status", data={"status": "suspended", "reason": "评估不合格"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert base_a.status == CertificationStatus.SUSPENDED
    assert "甲基地" not in client.get("/bases").get_data(as_text=True)
    assert cert.state == CertificateState.VALID
    from ntbase.office import bulk
    assert bulk.check_items([bulk.Item(cert.code)])[0]["result"] == "valid"
    assert db.session.scalar(sa.select(AuditLog.detail).where(AuditLog.action == "base.status")) \
        == "certified -> suspended: 评估不合格"


def test_revoked_base_cannot_be_suspended(app_ctx, office, base_a):
    bases.set_base_status(base_a, "revoked", "长期不开展培训", office)
    with pytest.raises(DomainError):
        bases.set_base_status(base_a, "suspended", "x", office)


def test_figures_and_assessment(client, login, office, base_a, base_b, learner):
    course = make_course(base_a, start=now() - timedelta(days=10))
    make_course(base_b, start=now() - timedelta(days=10))
    completed_enrollment(learner, course)
    ratings.rate_course(learner, course.id, 4, "讲得好")
    complaints.file_complaint(learner, complaints.ComplaintInput(target="base", base_id=base_a.id, subject="投诉",
                                                             details="上课地点临时变更且未通知学员。"))
    db.session.commit()
    start, end = date.today() - timedelta(days=60), date.today() + timedelta(days=1)
    f = bases.base_figures(base_a.id, start, end)
    assert f["courses"] == 1 and f["enrollments"] == 1 and f["completed"] == 1
    assert f["completion_rate"] == 100.0 and f["ratings"] == 1 and f["rating_avg"] == 4.0
    assert f["complaints"] == 1 and f["refunds"] == 0
    login(office)
    html = client.get(f"/office/bases/{base_a.id}?from={start}&to={end}").get_data(as_text=True)
    assert "id=\"figures\"" in html
    resp = client.post(f"/office/bases/{base_a.id}/assess", data={
        "period_start": start.isoformat(), "period_end": end.isoformat(), "rating": "qualified",
        "conclusion": "教学过程规范，学员评价良好。"})
    assert resp.status_code == 302
    a = db.session.scalar(sa.select(BaseAssessment))
    assert a.figures["courses"] == 1 and a.assessor_id == office.id


def test_assessment_period_must_be_ordered(app_ctx, office, base_a):
    with pytest.raises(DomainError):
        bases.record_assessment(base_a, period_start=date(2025, 2, 1), period_end=date(2025, 1, 1),
                                   rating="qualified", conclusion="结论内容", actor=office)


def test_rating_needs_completion_and_happens_once(client, login, learner, base_a):
    course = make_course(base_a)
    db.session.commit()
    login(learner)
    resp = client.post(f"/me/courses/{course.id}/rate", data={"stars": "5", "comment": "好"})
    assert resp.status_code == 422
    completed_enrollment(learner, course)
    db.session.commit()
    assert client.get(f"/me/courses/{course.id}/rate").status_code == 200
    resp = client.post(f"/me/courses/{course.id}/rate", data={"stars": "5", "comment": "很实用"})
    assert resp.status_code == 302
    resp = client.post(f"/me/courses/{course.id}/rate", data={"stars": "1", "comment": "改主意了"})
    assert resp.status_code == 422
    ratings = db.session.scalars(sa.select(CourseRating)).all()
    assert len(ratings) == 1 and ratings[0].stars == 5


def test_rating_stars_range_enforced_by_database(app_ctx, learner, base_a):
    course = make_course(base_a)
    enr = completed_enrollment(learner, course)
    with pytest.raises(DomainError):
        ratings.rate_course(learner, course.id, 6)
    db.session.add(CourseRating(learner_id=learner.id, course_id=course.id, enrollment_id=enr.id, stars=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_other_learner_cannot_rate_with_someone_elses_completion(client, login, learner, base_a):
    course = make_course(base_a)
    completed_enrollment(learner, course)
    other = make_learner()
    db.session.commit()
    login(other)
    assert client.post(f"/me/courses/{course.id}/rate", data={"stars": "3"}).status_code == 422


# ---------------------------------------------------------------- review fixes
def test_two_ratings_sent_at_once_give_a_clear_error_not_a_crash(app_ctx, learner, base_a, monkeypatch):
    course = make_course(base_a)
    completed_enrollment(learner, course)
    ratings.rate_course(learner, course.id, 5)
    # the second request checked before the first one committed
    monkeypatch.setattr(ratings_services, "existing_rating", lambda *_a: None)
    with pytest.raises(DomainError) as exc:
        ratings.rate_course(learner, course.id, 1)
    assert "已经评价" in exc.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseRating)) == 1


def test_suspended_base_leaves_the_catalog_and_comes_back(app_ctx, office, base_a):
    from ntbase.catalog.search import CatalogFilters, public_courses_stmt

    course = make_course(base_a)
    db.session.commit()

    def listed() -> bool:
        return course.id in [c.id for c in db.session.scalars(public_courses_stmt(CatalogFilters())).unique()]

    assert listed()
    bases.set_base_status(base_a, "suspended", "整改", office)
    db.session.flush()
    assert not listed()
    bases.certify_base(base_a, level="city", staff_levels=["intermediate"], is_talent_base=False, reason="",
                          actor=office)
    db.session.flush()
    assert listed()

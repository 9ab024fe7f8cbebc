import sqlalchemy as sa

from ntbase.bases.models import DisclosureVersion
from ntbase.bases.services import disclosure_missing_parts, load_disclosure
from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db
from ntbase.kernel.enums import Category


def test_demo_loads_full_disclosures_and_courses_idempotently(client):
    from ntbase.catalog import demo
    from ntbase.demo import load_bases

    bases = load_bases()
    demo.load()
    db.session.commit()
    versions = db.session.scalar(sa.select(sa.func.count(DisclosureVersion.id)))
    courses = db.session.scalar(sa.select(sa.func.count(Course.id)))
    demo.load()  # second run changes nothing
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(DisclosureVersion.id))) == versions
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == courses
    for base in bases:
        assert disclosure_missing_parts(load_disclosure(base.id)) == []
        rows = db.session.scalars(sa.select(Course).where(Course.base_id == base.id)).all()
        assert len(rows) >= 10
        assert all(c.status == CourseStatus.PUBLISHED and c.disclosure_version_id for c in rows)
        assert {c.category for c in rows} == set(Category)
        assert len({c.first_session_at.strftime("%Y-%m") for c in rows}) >= 4
        # the course page's refund deadline agrees with the base's stated refund policy
        assert {c.refund_cutoff_hours for c in rows} == {demo.REFUND_CUTOFF_HOURS[base.slug]}
    talent = db.session.scalars(sa.select(Course).where(Course.is_talent_training)).all()
    assert talent and all(c.base.slug == "ntvu" for c in talent)
    html = client.get("/courses?q=安全").get_data(as_text=True)
    assert "专业技术人员安全生产知识培训" in html
    assert client.get("/courses?lang=en").status_code == 200
    assert client.get("/bases/compare").status_code == 200

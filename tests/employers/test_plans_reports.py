"""Art. 9: the yearly plan (items) and the yearly statistics report, submitted to the HR
bureau, acknowledged or commented; submitted versions kept as they were; submitting the
same thing twice is refused at the field, with nothing written."""
import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.employers import groups, plans
from ntbase.employers.models import PlanVersion, ReportVersion, ReviewState
from ntbase.hours.services import add_adjustment
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests.employers.helpers import add_member, make_employer, snapshot
from tests.enrollment.helpers import post_webhook, signed_event
from tests.factories import make_course, make_learner

R = ReviewState
YEAR = now().year


@pytest.fixture()
def unit(app_ctx, office):
    employer, admin = make_employer("南通市建筑设计研究院", office=office)
    db.session.commit()
    return employer, admin


def _item(topic="BIM 技术应用", hours="24", budget="12000"):
    return plans.PlanItemInput(topic=topic, category="specialized", target_staff="结构所工程师", planned_hours=hours,
                               budget=budget)


def test_plan_submit_review_revise_keeps_versions(app_ctx, unit, office):
    employer, admin = unit
    with pytest.raises(DomainError) as exc:
        plans.submit_plan(employer, YEAR, admin)
    assert exc.value.field == "confirm"
    plans.add_plan_item(employer, YEAR, admin, _item())
    plans.add_plan_item(employer, YEAR, admin, _item("公需科目：法治素养", "24", "0"))
    v1 = plans.submit_plan(employer, YEAR, admin)
    plan = plans.plan_of(employer.id, YEAR)
    assert plan.state == R.SUBMITTED and v1.version == 1 and v1.total_hours == 48 and v1.total_budget_fen == 1200000
    assert db.session.scalar(sa.select(Notice.id).where(Notice.user_id == office.id, Notice.title.contains("南通市建筑设计研究院")))
    with pytest.raises(DomainError) as exc:
        plans.review_plan(plan, office, acknowledge=False, comment="")
    assert exc.value.field == "comment"
    plans.review_plan(plan, office, acknowledge=False, comment="请补充公需科目学时安排")
    assert plan.state == R.COMMENTED and plan.office_comment == "请补充公需科目学时安排"
    plans.remove_plan_item(employer, YEAR, plan.items[0].id, admin)  # revising makes a draft again
    assert plan.state == R.DRAFT
    plans.add_plan_item(employer, YEAR, admin, _item("公需科目：职业道德", "12", "3000"))
    v2 = plans.submit_plan(employer, YEAR, admin)
    plans.review_plan(plan, office, acknowledge=True, comment="")
    db.session.commit()
    versions = db.session.scalars(sa.select(PlanVersion).order_by(PlanVersion.version)).all()
    assert [v.version for v in versions] == [1, 2] and v2.total_hours == 36
    assert [i["topic"] for i in versions[0].items] == ["BIM 技术应用", "公需科目：法治素养"]  # kept as submitted
    assert plan.state == R.ACKNOWLEDGED
    assert [e.to_state for e in plan.events] == ["draft", "submitted", "commented", "draft", "submitted", "acknowledged"]


def test_a_plan_submitted_twice_is_refused_at_the_field_and_nothing_is_written(client, login, unit):
    employer, admin = unit
    plans.add_plan_item(employer, YEAR, admin, _item())
    plans.submit_plan(employer, YEAR, admin)
    db.session.commit()
    login(admin)
    before = snapshot()
    r = client.post(f"/employer/plans/{YEAR}/submit", data={"confirm": "y"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="confirm-err"' in page
    assert snapshot() == before


def test_bad_plan_items_are_refused_at_their_field(app_ctx, unit):
    employer, admin = unit
    for change, field in (({"planned_hours": "-3"}, "planned_hours"), ({"topic": " "}, "topic"),
                          ({"budget": "12.345"}, "budget"), ({"category": "sports"}, "category")):
        values = {"topic": "x", "category": "public", "target_staff": "全体", "planned_hours": "8", "budget": ""}
        values.update(change)
        with pytest.raises(DomainError) as exc:
            plans.add_plan_item(employer, YEAR, admin, plans.PlanItemInput(**values))
        assert exc.value.field == field
        db.session.rollback()


def test_the_report_is_generated_from_ntbase_data_and_versions_are_kept(client, unit, office, base_a):
    employer, admin = unit
    met, short = make_learner(real_name="达标"), make_learner(real_name="未达标")
    for u in (met, short):
        add_member(employer, admin, u)
    add_adjustment(met.id, YEAR, "24", "public", "公需", office.id)
    add_adjustment(met.id, YEAR, "66", "specialized", "专业", office.id)
    course = make_course(base_a, price_fen=20000, capacity=10)
    db.session.commit()
    row = groups.enroll_group(employer, admin, course.id, [met.id, short.id])
    intent = groups.pay_group(employer, row, admin, invoice_title="", taxpayer_no="")
    db.session.commit()
    post_webhook(client, *signed_event(intent.provider_ref, intent.amount_fen))
    __import__("flask").g.pop("_login_user", None)
    figures = plans.report_figures(employer, YEAR)
    assert (figures["staff"], figures["meeting"], figures["share"]) == (2, 1, 50.0)
    assert figures["hours_by_category"]["public"] == "24.0" and figures["spend_fen"] == 40000
    assert figures["per_base"] == [{"base": base_a.name, "enrollments": 2, "spend_fen": 40000}]
    v1 = plans.submit_report(employer, YEAR, admin, "本年度培训情况如上")
    with pytest.raises(DomainError) as exc:
        plans.submit_report(employer, YEAR, admin, "本年度培训情况如上")  # the same again
    assert exc.value.field == "note" and exc.value.code == "already_submitted"
    v2 = plans.submit_report(employer, YEAR, admin, "补充说明：一人未达标")
    report = plans.report_of(employer.id, YEAR)
    plans.review_report(report, office, acknowledge=True, comment="")
    db.session.commit()
    assert [v.version for v in db.session.scalars(sa.select(ReportVersion).order_by(ReportVersion.id))] == [1, 2]
    assert (v1.note, v2.note) == ("本年度培训情况如上", "补充说明：一人未达标")
    assert report.state == R.ACKNOWLEDGED and report.first_submitted_at is not None


def test_office_review_pages(client, login, unit, office):
    employer, admin = unit
    plans.add_plan_item(employer, YEAR, admin, _item())
    plans.submit_plan(employer, YEAR, admin)
    db.session.commit()
    plan = plans.plan_of(employer.id, YEAR)
    login(office)
    assert "南通市建筑设计研究院" in client.get("/office/employers/plans").get_data(as_text=True)
    page = client.get(f"/office/employers/plans/{plan.id}").get_data(as_text=True)
    assert "BIM 技术应用" in page and 'id="review-form"' in page
    r = client.post(f"/office/employers/plans/{plan.id}", data={"decision": "comment", "comment": ""})
    assert r.status_code == 422 and 'id="comment-err"' in r.get_data(as_text=True)
    r = client.post(f"/office/employers/plans/{plan.id}", data={"decision": "acknowledge", "comment": "收到"})
    assert r.status_code == 302
    db.session.expire_all()
    assert plan.state == R.ACKNOWLEDGED

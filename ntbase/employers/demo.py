"""Demo employers: an enterprise, a hospital and a school in Nantong, each with an
administrator ``hr.<x>@demo.ntbase`` (password ``Demo-pass-2026``) and staff; the hospital
(where the demo learner 张晓明 works) has one group enrollment it paid for, one self-study
record and a submitted yearly plan.

Idempotent: an employer that exists already is left as it is. Runs after the enrollment
demo (the group takes a paid course the learners are not enrolled in yet).
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from stdnum.cn import ric, uscc

from ntbase.accounts.models import User
from ntbase.accounts.services import Registration, register_learner
from ntbase.catalog.models import Course, CourseStatus
from ntbase.employers import groups, plans, services
from ntbase.employers.models import Employer, Membership, MembershipState
from ntbase.enrollment.models import LIVE_STATES, Enrollment
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role, TitleLevel
from ntbase.kernel.errors import DomainError
from ntbase.payments import services as payments
from ntbase.payments.provider import get_provider

DEMO_PASSWORD = "Demo-pass-2026"
# a tiny valid PDF as the self-study evidence
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _uscc(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17 + "0")


def _id_number(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


EMPLOYERS = [
    # slug, name, credit code body, kind, district, contact, phone, admin name,
    # staff: (email, name, ID body, mobile, profession series, department)
    ("hospital", "南通市第一人民医院", "12320600466000123", "public_institution", "chongchuan", "陈主任",
     "0513-85061234", "陈静（人事科）", [
         ("learner@demo.ntbase", None, None, None, None, "心内科"),
         ("nurse.wang@demo.ntbase", "王丽", "32060219920315002", "13812340001", "health", "护理部"),
         ("doctor.liu@demo.ntbase", "刘强", "32060219850708003", "13812340002", "health", "骨科"),
     ]),
    ("enterprise", "南通市建筑设计研究院", "91320600MA1MXN8X2", "enterprise", "chongchuan", "周经理",
     "0513-83512345", "周敏（人力资源部）", [
         ("learner2@demo.ntbase", None, None, None, None, "结构所"),
         ("engineer.sun@demo.ntbase", "孙浩", "32060219880212004", "13812340003", "engineering", "建筑所"),
     ]),
    ("school", "南通市第一中学", "12320600466001234", "public_institution", "chongchuan", "顾老师",
     "0513-85112345", "顾红（校办）", [
         ("teacher.xu@demo.ntbase", "徐文", "32060219900901005", "13812340004", "education", "语文组"),
         ("teacher.ma@demo.ntbase", "马超", "32060219870421006", "13812340005", "education", "数学组"),
     ]),
]


def _learner(email: str, name: str | None, id_body: str | None, mobile: str | None, series: str | None,
             employer_name: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None or name is None:
        return user
    return register_learner(Registration(email=email, password=DEMO_PASSWORD, real_name=name,
                                         id_number=_id_number(id_body), mobile=mobile, employer=employer_name,
                                         profession_series=series, title_level=TitleLevel.INTERMEDIATE.value))


def load() -> None:
    office = db.session.scalar(sa.select(User).where(User.role == Role.OFFICE).order_by(User.id).limit(1))
    if office is None:
        return
    at = now()
    for slug, name, code_body, kind, district, contact, phone, admin_name, staff in EMPLOYERS:
        if db.session.scalar(sa.select(Employer.id).where(Employer.name == name)):
            continue
        employer, admin = services.register_employer(services.EmployerRegistration(
            name=name, uscc=_uscc(code_body), kind=kind, district=district, contact_name=contact,
            contact_phone=phone, admin_email=f"hr.{slug}@demo.ntbase", admin_name=admin_name,
            password=DEMO_PASSWORD, address="江苏省南通市崇川区"), at=at)
        for email, *person in staff:
            _learner(email, *person[:4], employer_name=name)
        # the office confirms: learners whose profile names it exactly are invited by that
        services.confirm_employer(employer, office, "营业执照与统一社会信用代码已核验（演示数据）", at)
        for email, *person in staff:
            learner = db.session.scalar(sa.select(User).where(User.email == email))
            if learner is None:
                continue
            membership = db.session.scalar(sa.select(Membership).where(
                Membership.employer_id == employer.id, Membership.learner_id == learner.id,
                Membership.state == MembershipState.INVITED))
            if membership is None:
                membership = services.invite_by_id_number(employer, admin, learner.profile.id_number,
                                                          department=person[4], at=at)
            membership.department = person[4]
            services.accept_membership(membership, learner, at=at)
        if slug == "hospital":
            _hospital_activity(employer, admin, at)
    db.session.flush()


def _hospital_activity(employer: Employer, admin: User, at) -> None:
    members = db.session.scalars(sa.select(Membership).where(
        Membership.employer_id == employer.id, Membership.state == MembershipState.ACTIVE)
        .order_by(Membership.id)).all()
    ids = [m.learner_id for m in members]
    # one group enrollment, paid by the hospital (settled as the sandbox would)
    taken = sa.select(Enrollment.course_id).where(Enrollment.learner_id.in_(ids), Enrollment.state.in_(LIVE_STATES))
    course = db.session.scalar(
        sa.select(Course).where(Course.status == CourseStatus.PUBLISHED, Course.price_fen > 0,
                                Course.enroll_opens_at <= at, Course.enroll_closes_at >= at,
                                Course.capacity - Course.seats_taken >= len(ids), Course.id.not_in(taken))
        .order_by(Course.first_session_at, Course.id).limit(1))
    if course is not None and ids:
        try:
            row = groups.enroll_group(employer, admin, course.id, ids, at=at)
            intent = groups.pay_group(employer, row, admin, invoice_title=employer.name, taxpayer_no=employer.uscc,
                                      return_path=f"/employer/groups/{row.id}", at=at)
            # paid as the sandbox provider would report it: a signed event through the webhook path
            body, headers = get_provider("sandbox").build_event("payment.succeeded", intent.provider_ref,
                                                                intent.amount_fen, method="wechat")
            payments.handle_webhook("sandbox", body, headers, at=at)
        except DomainError:
            pass
    # one self-study record (Art. 17(6)), pending for the office
    if len(members) > 1:
        services.record_self_study(employer, members[1], admin, services.SelfStudyInput(
            title="护理质量管理自学（院内读书计划）", start_date=(at - timedelta(days=40)).date(),
            end_date=(at - timedelta(days=10)).date(), hours="12",
            plan="按科室年度计划自学《护理质量管理》第 1–6 章", organisation="护理部统一安排，每周集中讨论一次",
            examination="护理部闭卷考核，成绩 88 分，合格"), filename="自学考核记录.pdf", content=DEMO_PDF,
            today=at.date())
    # one submitted plan for this year
    for topic, category, target, hours_, budget in [
            ("公需科目：专业技术人员职业道德与诚信建设", "public", "全院专业技术人员", "24", "36000"),
            ("临床护理新进展", "specialized", "护理部全体护士", "30", "48000"),
            ("医院感染防控", "specialized", "临床科室医师", "12", "12000")]:
        plans.add_plan_item(employer, at.year, admin, plans.PlanItemInput(
            topic=topic, category=category, target_staff=target, planned_hours=hours_, budget=budget), at=at)
    plans.submit_plan(employer, at.year, admin, at=at)

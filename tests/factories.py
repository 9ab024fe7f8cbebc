"""Small factories for test data. Each returns a flushed object."""
from __future__ import annotations

import itertools

from stdnum.cn import ric

from ntbase.accounts.models import User
from ntbase.accounts.services import Registration, create_user, register_learner
from ntbase.bases.models import TrainingBase
from ntbase.kernel.db import db
from ntbase.kernel.enums import BaseLevel, CertificationStatus, Role, TitleLevel

_seq = itertools.count(1)
PASSWORD = "Test-pass-123"


def valid_id_number(n: int | None = None, birth: str = "19900101") -> str:
    """A fictitious resident ID number with a correct GB 11643 check digit."""
    n = next(_seq) if n is None else n
    body = f"320602{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_base(**kw) -> TrainingBase:
    i = next(_seq)
    values = dict(slug=f"base{i}", name=f"测试基地{i}", name_en=f"Test base {i}", level=BaseLevel.CITY,
                  staff_levels=[t.value for t in TitleLevel], status=CertificationStatus.CERTIFIED,
                  website="https://example.invalid/", is_talent_base=False)
    values.update(kw)
    base = TrainingBase(**values)
    db.session.add(base)
    db.session.flush()
    return base


def make_user(role: Role, base: TrainingBase | None = None, **kw) -> User:
    i = next(_seq)
    user = create_user(kw.pop("email", f"{role.value}{i}@test.ntbase"), PASSWORD, role,
                       base_id=base.id if base else None, display_name=kw.pop("display_name", f"{role.value} {i}"),
                       check_strength=False)
    for k, v in kw.items():
        setattr(user, k, v)
    db.session.flush()
    return user


def make_learner(real_name: str = "王小二", **kw) -> User:
    i = next(_seq)
    reg = Registration(
        email=kw.pop("email", f"learner{i}@test.ntbase"), password=PASSWORD, real_name=real_name,
        id_number=kw.pop("id_number", valid_id_number(i)), mobile=kw.pop("mobile", f"139{i:08d}"[:11]),
        employer=kw.pop("employer", "南通测试单位"), profession_series=kw.pop("profession_series", "engineering"),
        title_level=kw.pop("title_level", TitleLevel.INTERMEDIATE.value),
    )
    user = register_learner(reg)
    db.session.flush()
    return user


def make_course(base: TrainingBase, *, title: str = "专业技术人员安全生产培训", category="public",
                price_fen: int = 0, capacity: int = 30, hours="12", sessions: int = 2,
                start=None, status="published", mode="in_person", **kw):
    """A course with ``sessions`` one-day sessions (09:00-17:00) starting ``start``
    (default: 30 days from now); enrollment open now until the day before."""
    from datetime import timedelta
    from decimal import Decimal

    from ntbase.catalog.models import Course, CourseMode, CourseSession, CourseStatus
    from ntbase.kernel.db import now
    from ntbase.kernel.enums import Category

    t0 = now().replace(microsecond=0)
    start = start or (t0 + timedelta(days=30)).replace(hour=9, minute=0, second=0)
    course = Course(
        base_id=base.id, title=title, category=Category(category), mode=CourseMode(mode),
        price_fen=price_fen, capacity=capacity, hours=Decimal(str(hours)),
        enroll_opens_at=kw.pop("enroll_opens_at", t0 - timedelta(days=1)),
        enroll_closes_at=kw.pop("enroll_closes_at", start - timedelta(days=1)),
        status=CourseStatus(status), search_text=title, description_md=kw.pop("description_md", ""),
        first_session_at=start, last_session_at=start + timedelta(days=sessions - 1, hours=8),
        published_at=t0 if status == "published" else None, **kw,
    )
    for i in range(sessions):
        s = start + timedelta(days=i)
        course.sessions.append(CourseSession(starts_at=s, ends_at=s + timedelta(hours=8)))
    db.session.add(course)
    db.session.flush()
    return course

"""Demo data: the three bases of notice §3 (通职称办〔2021〕24号), demo users.

Idempotent: running it twice changes nothing (rows are looked up by natural keys).
Later domains add their demo content through ``DEMO_STEPS``.
"""
from __future__ import annotations

import sqlalchemy as sa

from ntbase import registry
from ntbase.accounts.models import User
from ntbase.accounts.services import Registration, create_user, register_learner
from ntbase.bases.models import TrainingBase
from ntbase.kernel.db import db
from ntbase.kernel.enums import BaseLevel, Category, CertificationStatus, Role, TitleLevel

DEMO_PASSWORD = "Demo-pass-2026"

BASES = [
    {
        "slug": "ntvu",
        "name": "南通职业大学",
        "name_en": "Nantong Vocational University",
        "website": "http://ntzj.cfyedu.com/#/home",
        "address": "江苏省南通市崇川区青年中路89号",
        "is_talent_base": True,
    },
    {
        "slug": "ntgm",
        "name": "南通工贸技师学院",
        "name_en": "Nantong Industry and Trade Technician College",
        "website": "https://ntgm.mh.chaoxing.com/",
        "address": "江苏省南通市崇川区",
        "is_talent_base": False,
    },
    {
        "slug": "ntjsjg",
        "name": "南通市建设技工学校",
        "name_en": "Nantong Construction Technical School",
        "website": "https://www.ntjsjg.com/",
        "address": "江苏省南通市",
        "is_talent_base": False,
    },
]

# demo ID numbers with valid GB 11643 check digits (fictitious people)
DEMO_LEARNERS = [
    ("learner@demo.ntbase", "张晓明", "32060219900101123X", "13812345678", "南通市第一人民医院", "health"),
    ("learner2@demo.ntbase", "李红", "320602198805152340", "13912345678", "南通市建筑设计研究院", "engineering"),
]


def _get_or_create(model, lookup: dict, **values):
    obj = db.session.scalar(sa.select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
        return obj, True
    return obj, False


def load_bases() -> list[TrainingBase]:
    bases = []
    for data in BASES:
        values = dict(data)
        slug = values.pop("slug")
        base, _created = _get_or_create(
            TrainingBase, {"slug": slug},
            level=BaseLevel.CITY,
            staff_levels=[TitleLevel.JUNIOR.value, TitleLevel.INTERMEDIATE.value, TitleLevel.SUB_SENIOR.value,
                          TitleLevel.SENIOR.value],
            status=CertificationStatus.CERTIFIED,
            status_reason="通职称办〔2021〕24号 首批继续教育基地",
            scope_subjects=[Category.PUBLIC.value, Category.SPECIALIZED.value],
            contact_phone="0513-00000000",
            **values,
        )
        bases.append(base)
    return bases


def load_users(bases: list[TrainingBase]) -> None:
    for base in bases:
        email = f"staff.{base.slug}@demo.ntbase"
        if not db.session.scalar(sa.select(User.id).where(User.email == email)):
            create_user(email, DEMO_PASSWORD, Role.BASE_STAFF, base_id=base.id,
                        display_name=f"{base.name}管理员")
    for email, role, name in [("office@demo.ntbase", Role.OFFICE, "市职称办"),
                              ("admin@demo.ntbase", Role.ADMIN, "系统管理员")]:
        if not db.session.scalar(sa.select(User.id).where(User.email == email)):
            create_user(email, DEMO_PASSWORD, role, display_name=name)
    for email, name, idn, mobile, employer, series in DEMO_LEARNERS:
        if not db.session.scalar(sa.select(User.id).where(User.email == email)):
            register_learner(Registration(email=email, password=DEMO_PASSWORD, real_name=name,
                                          id_number=idn, mobile=mobile, employer=employer,
                                          profession_series=series,
                                          title_level=TitleLevel.INTERMEDIATE.value))


def load_demo() -> None:
    bases = load_bases()
    load_users(bases)
    for mod in registry.load(registry.DEMO):
        mod.load()
    db.session.flush()

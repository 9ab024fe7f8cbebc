"""Small factories for test data. Each returns a flushed object."""
from __future__ import annotations

import itertools

from stdnum.cn import ric

from ntbase.accounts.models import User
from ntbase.accounts.services import Registration, create_user, register_learner
from ntbase.bases.models import TrainingBase
from ntbase.db import db
from ntbase.enums import BaseLevel, CertificationStatus, Role, TitleLevel

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

"""Factories and checks for the employer tests."""
from __future__ import annotations

import itertools

import sqlalchemy as sa
from stdnum.cn import uscc

from ntbase.accounts.models import User
from ntbase.employers import services
from ntbase.employers.models import Employer, Membership
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from tests.factories import PASSWORD, make_user

_seq = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def valid_uscc(n: int | None = None, prefix: str = "91320600MA") -> str:
    """A fictitious unified social credit code with a correct check character."""
    n = next(_seq) if n is None else n
    body = f"{prefix}{n:07d}"[:17]
    return body + uscc.calc_check_digit(body + "0")


def wrong_check(code: str) -> str:
    """The same code with another (wrong) check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:-1] + next(c for c in alphabet if c != code[-1])


def registration(**kw) -> services.EmployerRegistration:
    i = next(_seq)
    values = dict(name=f"南通测试单位{i}", uscc=valid_uscc(i), kind="enterprise", district="chongchuan",
                  contact_name="张主任", contact_phone="0513-85012345", admin_email=f"hr{i}@test.ntbase",
                  admin_name=f"人事{i}", password=PASSWORD)
    values.update(kw)
    return services.EmployerRegistration(**values)


def make_employer(name: str | None = None, *, confirm: bool = True, office=None, **kw) -> tuple[Employer, object]:
    """An employer and its first admin; confirmed by ``office`` (made if missing)."""
    reg = registration(**({"name": name} if name else {}), **kw)
    employer, admin = services.register_employer(reg)
    if confirm:
        officer = office or db.session.scalar(sa.select(User).where(User.role == Role.OFFICE)) \
            or make_user(Role.OFFICE)
        services.confirm_employer(employer, officer, "已核验")
    db.session.flush()
    return employer, admin


def add_member(employer: Employer, admin, learner, department: str = "") -> Membership:
    membership = services.invite_by_id_number(employer, admin, learner.profile.id_number, department)
    services.accept_membership(membership, learner)
    db.session.flush()
    return membership


def table_counts() -> dict[str, int]:
    """Rows of every table, to show that a refused request wrote nothing at all."""
    db.session.expire_all()
    tables = db.metadata.sorted_tables
    # one statement with a count per table (a round trip per table was most of the access walks' time)
    counts = db.session.execute(sa.select(*[
        sa.select(sa.func.count()).select_from(t).scalar_subquery().label(f"c{i}") for i, t in enumerate(tables)
    ])).one()
    return {t.name: n for t, n in zip(tables, counts, strict=True)}


def snapshot() -> dict:
    """Row counts of every table plus the states and counters a refusal must not move."""
    snap = {"counts": table_counts()}
    snap["seats"] = db.session.execute(sa.text("SELECT id, seats_taken FROM course ORDER BY id")).all()
    snap["enrollments"] = db.session.execute(sa.text("SELECT id, state FROM enrollment ORDER BY id")).all()
    snap["memberships"] = db.session.execute(sa.text(
        "SELECT id, state, department FROM employer_membership ORDER BY id")).all()
    snap["employers"] = db.session.execute(sa.text("SELECT id, state, join_code FROM employer ORDER BY id")).all()
    snap["plans"] = db.session.execute(sa.text("SELECT id, state FROM training_plan ORDER BY id")).all()
    snap["payments"] = db.session.execute(sa.text(
        "SELECT id, state, refunded_fen, invoice_title FROM payment_intent ORDER BY id")).all()
    return snap


def today():
    return now().date()

"""Employer accounts: registration with a checked credit code, the office's confirmation
before the employer can act, suspension and reinstatement with a reason, several admins,
and the database's own guarantee that an employer administrator has exactly one employer."""
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.accounts.models import Notice, User
from ntbase.employers import services
from ntbase.employers.models import Employer, EmployerEvent, EmployerState
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import hash_password
from ntbase.notifications.models import Delivery
from tests.employers.helpers import make_employer, registration, snapshot, valid_uscc, wrong_check
from tests.factories import PASSWORD


def _form(**kw):
    data = {"name": "南通海晨机械有限公司", "uscc": valid_uscc(501), "kind": "enterprise", "district": "tongzhou",
            "address": "", "contact_name": "钱经理", "contact_phone": "0513-86012345", "admin_name": "钱芳",
            "admin_email": "qian@haichen.example.cn", "password": PASSWORD, "password2": PASSWORD}
    data.update(kw)
    return data


def test_register_logs_in_and_waits_for_the_office(client, office):
    r = client.post("/employers/register", data=_form(), follow_redirects=True)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'id="employer-pending"' in page
    employer = db.session.scalar(sa.select(Employer))
    assert employer.state == EmployerState.PENDING and employer.uscc == valid_uscc(501)
    admin = db.session.scalar(sa.select(User).where(User.email == "qian@haichen.example.cn"))
    assert admin.role == Role.EMPLOYER_ADMIN and admin.employer_id == employer.id
    assert [e.to_state for e in db.session.scalars(sa.select(EmployerEvent))] == ["pending"]
    # the office is told, in its language
    assert "南通海晨机械有限公司" in db.session.scalar(sa.select(Notice.title).where(Notice.user_id == office.id))
    # a pending employer cannot act: every action page sends it back to its overview
    r = client.get("/employer/staff")
    assert r.status_code == 302 and r.headers["Location"].endswith("/employer")


def test_a_wrong_check_character_is_shown_next_to_the_field_and_nothing_is_written(client, office):
    before = snapshot()
    r = client.post("/employers/register", data=_form(uscc=wrong_check(valid_uscc(502))))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    err = re.search(r'id="uscc-err"[^>]*>(.*?)</p>', page, re.S)
    assert err and "校验" in err.group(1)  # the Chinese page names the check character
    assert snapshot() == before


@pytest.mark.parametrize("field, value", [("uscc", "9132060"), ("kind", "bank"), ("district", "suzhou"),
                                          ("contact_phone", "call me"), ("name", "   ")])
def test_other_bad_details_are_refused_at_their_field(app_ctx, field, value):
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        services.register_employer(registration(**{field: value}))
    assert exc.value.field == field
    db.session.rollback()
    assert snapshot() == before


def test_the_same_code_or_name_cannot_register_twice(app_ctx):
    employer, _admin = make_employer(confirm=False)
    with pytest.raises(DomainError) as exc:
        services.register_employer(registration(uscc=employer.uscc))
    assert exc.value.field == "uscc" and exc.value.code == "duplicate"
    with pytest.raises(DomainError) as exc:
        services.register_employer(registration(name=employer.name))
    assert exc.value.field == "name"


def test_the_database_binds_an_employer_admin_to_exactly_one_employer(app_ctx):
    employer, _admin = make_employer(confirm=False)
    db.session.commit()
    pw = hash_password("x" * 12)
    for bad in ({"role": "employer_admin", "employer_id": None}, {"role": "learner", "employer_id": employer.id},
                {"role": "office", "employer_id": employer.id}):
        with pytest.raises(IntegrityError):
            db.session.execute(sa.insert(User).values(email=f"{bad['role']}@x.cn", password_hash=pw,
                                                      display_name="", is_active=True, **bad))
            db.session.flush()
        db.session.rollback()
    with pytest.raises(DomainError):
        services.accounts.create_user("no-employer@x.cn", PASSWORD, Role.EMPLOYER_ADMIN, check_strength=False)


def test_office_confirms_suspends_and_reinstates_with_a_reason(app_ctx, office):
    employer, admin = make_employer(confirm=False)
    for change in (services.confirm_employer, services.suspend_employer):
        with pytest.raises(DomainError) as exc:
            change(employer, office, "  ")
        assert exc.value.field == "reason"
    with pytest.raises(DomainError):
        services.reinstate_employer(employer, office, "误操作")  # not suspended
    services.confirm_employer(employer, office, "营业执照已核验")
    assert employer.state == EmployerState.ACTIVE and employer.confirmed_at is not None
    services.suspend_employer(employer, office, "虚报培训记录")
    assert employer.state == EmployerState.SUSPENDED and employer.state_reason == "虚报培训记录"
    with pytest.raises(DomainError):
        services.require_active(employer)
    services.reinstate_employer(employer, office, "已整改")
    db.session.commit()
    history = db.session.scalars(sa.select(EmployerEvent).order_by(EmployerEvent.id)).all()
    assert [(h.to_state, h.reason) for h in history] == [
        ("pending", "registered by its administrator"), ("active", "营业执照已核验"), ("suspended", "虚报培训记录"),
        ("active", "已整改")]
    assert all(h.actor_id == office.id for h in history[1:])
    # the admins were told each time; the office's decisions are in the audit log
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == admin.id)) == 3
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(AuditLog.action == "office.employer_state")) == 3


def test_an_admin_adds_another_admin_who_sets_a_password_by_mail(client, login, office):
    employer, admin = make_employer(office=office)
    db.session.commit()
    login(admin)
    r = client.post("/employer/admins", data={"display_name": "李助理", "email": "li@unit.example.cn"})
    assert r.status_code == 302
    second = db.session.scalar(sa.select(User).where(User.email == "li@unit.example.cn"))
    assert second.role == Role.EMPLOYER_ADMIN and second.employer_id == employer.id
    mail = db.session.scalar(sa.select(Delivery).where(Delivery.recipient == "li@unit.example.cn"))
    assert "/account/reset/" in mail.body
    assert {a.id for a in services.admins_of(employer.id)} == {admin.id, second.id}


def test_the_admin_lands_on_the_employer_overview_after_log_in(client, office):
    employer, admin = make_employer(office=office)
    db.session.commit()
    r = client.post("/account/login", data={"login": admin.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/employer")
    page = client.get("/employer").get_data(as_text=True)
    assert employer.name in page and employer.uscc in page

"""Staff membership: invitation by full ID number (keyed hash, never in a URL or log), join
code, accept / decline, one current employer, start and end; the learner sees who sees
their record; free-text employers become invitations when the office confirms the employer."""
import logging

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.employers import services
from ntbase.employers.models import Membership, MembershipEvent, MembershipState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.employers.helpers import add_member, make_employer, snapshot
from tests.factories import make_learner, valid_id_number

MS = MembershipState


@pytest.fixture()
def unit(app_ctx, office):
    employer, admin = make_employer("南通市第三人民医院", office=office)
    db.session.commit()
    return employer, admin


def test_invite_by_id_number_then_accept(client, login, unit, learner, caplog):
    employer, admin = unit
    id_number = learner.profile.id_number
    login(admin)
    with caplog.at_level(logging.DEBUG):
        r = client.post("/employer/staff/invite", data={"id_number": id_number.lower(), "department": "检验科"})
    assert r.status_code == 302
    assert id_number not in caplog.text  # never logged
    m = db.session.scalar(sa.select(Membership))
    assert (m.state, m.department, m.source, m.learner_id) == (MS.INVITED, "检验科", "invitation", learner.id)
    # not visible before the learner accepts
    assert f'data-learner="{learner.id}"' not in client.get("/employer/staff").get_data(as_text=True)
    # the learner is told and sees the invitation
    assert db.session.scalar(sa.select(Notice.title).where(Notice.user_id == learner.id))
    login(learner)
    page = client.get("/me/employers").get_data(as_text=True)
    assert "南通市第三人民医院" in page and f'data-membership="{m.id}"' in page
    assert client.post(f"/me/employers/{m.id}/accept").status_code == 302
    db.session.expire_all()
    assert m.state == MS.ACTIVE and m.started_on is not None and m.responded_at is not None
    page = client.get("/me/employers").get_data(as_text=True)
    assert 'id="current-employer"' in page and "南通市第三人民医院" in page.split('id="current-employer"')[1]
    login(admin)
    staff = client.get("/employer/staff").get_data(as_text=True)
    assert f'data-learner="{learner.id}"' in staff and learner.profile.id_number_masked in staff
    assert id_number not in staff  # masked only
    assert [e.to_state for e in db.session.scalars(sa.select(MembershipEvent).order_by(MembershipEvent.id))] == [
        "invited", "active"]


def test_an_unknown_id_number_is_shown_next_to_the_field_and_nothing_is_written(client, login, unit):
    employer, admin = unit
    login(admin)
    before = snapshot()
    unknown = valid_id_number(777)
    r = client.post("/employer/staff/invite", data={"id_number": unknown})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="id_number-err"' in page and unknown not in page  # the number is not echoed back
    assert snapshot() == before


def test_a_malformed_id_number_says_why(app_ctx, unit):
    employer, admin = unit
    with pytest.raises(DomainError) as exc:
        services.invite_by_id_number(employer, admin, "32060219900101123")
    assert exc.value.field == "id_number"


def test_declined_and_withdrawn_invitations_show_nothing(app_ctx, unit, learner):
    employer, admin = unit
    m = services.invite_by_id_number(employer, admin, learner.profile.id_number)
    services.decline_membership(m, learner)
    assert m.state == MS.DECLINED
    with pytest.raises(DomainError):
        services.accept_membership(m, learner)
    again = services.invite_by_id_number(employer, admin, learner.profile.id_number)  # may ask again
    services.withdraw_invitation(employer, again, admin)
    assert again.state == MS.WITHDRAWN
    assert services.staff_list(employer, 2025).total == 0


def test_a_second_invitation_while_one_is_open_is_refused(app_ctx, unit, learner):
    employer, admin = unit
    services.invite_by_id_number(employer, admin, learner.profile.id_number)
    with pytest.raises(DomainError) as exc:
        services.invite_by_id_number(employer, admin, learner.profile.id_number)
    assert exc.value.code == "duplicate" and exc.value.field == "id_number"


def test_join_code_makes_an_invitation_the_learner_accepts(client, login, unit, learner):
    employer, _admin = unit
    login(learner)
    r = client.post("/me/employers/join", data={"code": "nothing0"})
    assert r.status_code == 422 and 'id="code-err"' in r.get_data(as_text=True)
    r = client.post("/me/employers/join", data={"code": employer.join_code.lower()})
    assert r.status_code == 302
    m = db.session.scalar(sa.select(Membership))
    assert (m.state, m.source) == (MS.INVITED, "join_code")
    client.post(f"/me/employers/{m.id}/accept")
    db.session.expire_all()
    assert m.state == MS.ACTIVE


def test_a_new_join_code_stops_the_old_one(app_ctx, unit, learner):
    employer, _admin = unit
    old = employer.join_code
    assert services.regenerate_join_code(employer) != old
    with pytest.raises(DomainError):
        services.join_by_code(learner, old)


def test_one_current_employer_accepting_another_ends_the_first(app_ctx, unit, learner, office):
    first, admin1 = unit
    second, admin2 = make_employer("南通大学附属医院", office=office)
    m1 = add_member(first, admin1, learner)
    m2 = services.invite_by_id_number(second, admin2, learner.profile.id_number)
    services.accept_membership(m2, learner)
    db.session.commit()
    assert (m1.state, m2.state) == (MS.ENDED, MS.ACTIVE)
    assert m1.ended_on is not None
    assert services.staff_list(first, 2025).total == 0 and services.staff_list(second, 2025).total == 1


def test_ending_a_membership_hides_the_record_but_keeps_the_hours(client, login, unit, learner):
    from ntbase.hours.services import add_adjustment

    employer, admin = unit
    m = add_member(employer, admin, learner)
    add_adjustment(learner.id, 2025, "10", "specialized", "特殊情况认定", admin.id)
    db.session.commit()
    login(learner)
    assert client.post(f"/me/employers/{m.id}/end").status_code == 302
    db.session.expire_all()
    assert m.state == MS.ENDED
    login(admin)
    assert client.get(f"/employer/staff/{m.id}").status_code == 404
    assert services.staff_list(employer, 2025).total == 0
    from ntbase.hours.services import assess_learner_year

    assert assess_learner_year(learner.id, 2025).counted_total == 10  # the hours stay the learner's


def test_the_employer_ends_a_membership_and_the_learner_is_told(app_ctx, unit, learner):
    employer, admin = unit
    m = add_member(employer, admin, learner)
    with pytest.raises(DomainError) as exc:
        services.end_membership(m, admin, employer=employer, ended_on=m.started_on.replace(year=m.started_on.year + 1))
    assert exc.value.field == "ended_on"
    services.end_membership(m, admin, employer=employer, reason="调离")
    assert m.state == MS.ENDED
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == learner.id)) >= 2


def test_confirmation_invites_learners_whose_profile_names_the_employer(app_ctx, office):
    a = make_learner(real_name="甲", employer="南通市通州区人民医院")
    b = make_learner(real_name="乙", employer=" 南通市通州区人民医院 ")
    make_learner(real_name="丙", employer="南通市通州区人民医院（东院）")  # not exactly the name
    employer, _admin = make_employer("南通市通州区人民医院", confirm=False)
    assert services.confirm_employer(employer, office, "已核验") == 2
    rows = db.session.scalars(sa.select(Membership).order_by(Membership.learner_id)).all()
    assert [(r.learner_id, r.state, r.source) for r in rows] == [(a.id, MS.INVITED, "profile"),
                                                                  (b.id, MS.INVITED, "profile")]
    # nothing is seen before they accept
    assert services.staff_list(employer, 2025).total == 0
    assert services.invite_matching_profiles(employer, office) == 0  # once only

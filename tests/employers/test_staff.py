"""The staff list: this year's counted total, public hours and the engine's verdict for each
current member; filters; CSV/XLSX export with formula escaping; a person's yearly view with
reasons, audited for the person; a fixed number of SQL statements for 5,000 staff."""
import csv
import io
import secrets
from datetime import date

import pytest
import sqlalchemy as sa
from flask import g
from openpyxl import load_workbook

from ntbase.accounts.models import LearnerProfile, User
from ntbase.employers import services
from ntbase.employers.models import Membership
from ntbase.hours import status
from ntbase.hours.models import LedgerEntry
from ntbase.hours.services import add_adjustment
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db, now
from tests.employers.helpers import add_member, make_employer
from tests.factories import make_learner

YEAR = now().year


@pytest.fixture()
def hospital(app_ctx, office):
    employer, admin = make_employer("南通市第一人民医院", office=office)
    met = make_learner(real_name="达标者", profession_series="health")
    short_public = make_learner(real_name="缺公需", profession_series="health")
    nothing = make_learner(real_name="未学习", profession_series="engineering")
    add_member(employer, admin, met, "心内科")
    add_member(employer, admin, short_public, "护理部")
    add_member(employer, admin, nothing, "=HYPERLINK(\"x\")")  # a department that looks like a formula
    add_adjustment(met.id, YEAR, "24", "public", "公需课", admin.id)
    add_adjustment(met.id, YEAR, "66", "specialized", "专业课", admin.id)
    add_adjustment(short_public.id, YEAR, "10", "public", "公需课", admin.id)
    add_adjustment(short_public.id, YEAR, "80", "specialized", "专业课", admin.id)
    db.session.commit()
    return {"employer": employer, "admin": admin, "met": met, "short_public": short_public, "nothing": nothing}


def test_verdicts_and_filters(app_ctx, hospital):
    h = hospital
    staff = services.staff_list(h["employer"], YEAR)
    by_name = {r.real_name: r.verdict for r in staff.rows}
    assert staff.total == 3 and staff.not_met == 2
    assert by_name["达标者"].complies and by_name["达标者"].counted_total == 90
    v = by_name["缺公需"]
    assert not v.complies and v.counted_public == 10 and v.shortfall_public == 14 and v.counted_total == 90
    assert by_name["未学习"].shortfall_total == 90
    # sorted by department, then name
    assert [r.real_name for r in services.staff_list(h["employer"], YEAR, not_met=True).rows] == [
        "未学习", "缺公需"]
    assert [r.real_name for r in services.staff_list(h["employer"], YEAR, department="护理部").rows] == ["缺公需"]
    assert [r.real_name for r in services.staff_list(h["employer"], YEAR, series="engineering").rows] == ["未学习"]


def test_the_page_shows_who_is_short_of_public_hours(client, login, hospital):
    login(hospital["admin"])
    page = client.get(f"/employer/staff?year={YEAR}&not_met=1").get_data(as_text=True)
    assert "缺公需" in page and "达标者" not in page
    row = page.split(f'data-learner="{hospital["short_public"].id}"')[1].split("</tr>")[0]
    assert 'data-verdict="short"' in row and "short-public" in row and 'data-label=' in row


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_escaped_masked_and_audited(client, login, hospital, fmt):
    h = hospital
    login(h["admin"])
    r = client.get(f"/employer/staff.{fmt}?year={YEAR}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    else:
        rows = [[c if c is not None else "" for c in row] for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]
    cells = [str(c) for row in rows for c in row]
    assert "'=HYPERLINK(\"x\")" in cells  # shown as text, never run as a formula
    assert h["met"].profile.id_number_masked in cells and h["met"].profile.id_number not in cells
    assert len(rows) == 4
    # each exported person sees it
    db.session.expire_all()
    subjects = set(db.session.scalars(sa.select(AuditLog.subject_user_id).where(AuditLog.action == "employer.export_staff")))
    assert subjects == {h["met"].id, h["short_public"].id, h["nothing"].id}


def test_a_persons_yearly_view_gives_reasons_and_is_audited_for_them(client, login, hospital):
    h = hospital
    m = db.session.scalar(sa.select(Membership).where(Membership.learner_id == h["short_public"].id))
    login(h["admin"])
    page = client.get(f"/employer/staff/{m.id}?year={YEAR}").get_data(as_text=True)
    assert 'id="assessment"' in page and "公需科目 10 学时，还差 14 学时" in page  # the engine's own reason
    g.pop("_login_user", None)
    db.session.expire_all()
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "employer.view_person"))
    assert row.subject_user_id == h["short_public"].id and "南通市第一人民医院" in row.actor_label
    login(h["short_public"])
    mine = client.get("/me/audit").get_data(as_text=True)
    assert "南通市第一人民医院" in mine


def test_only_current_members_are_visible(client, login, hospital):
    h = hospital
    m = db.session.scalar(sa.select(Membership).where(Membership.learner_id == h["nothing"].id))
    services.end_membership(m, h["admin"], employer=h["employer"])
    db.session.commit()
    assert services.staff_list(h["employer"], YEAR).total == 2
    login(h["admin"])
    assert client.get(f"/employer/staff/{m.id}").status_code == 404
    assert f'data-learner="{h["nothing"].id}"' not in client.get("/employer/staff").get_data(as_text=True)


# ---------------------------------------------------------------- fixed number of statements

def _bulk_staff(employer, n: int, offset: int) -> None:
    """n learners with profiles, current members, each with two accepted entries this year."""
    t = now()
    users = [dict(email=f"bulk{offset + i}@t.cn", password_hash="x", role="learner", display_name=f"员工{i}",
                  is_active=True, created_at=t, updated_at=t, password_changed_at=t) for i in range(n)]
    db.session.execute(sa.insert(User), users)
    ids = db.session.scalars(sa.select(User.id).where(User.email.like("bulk%")).order_by(User.id)).all()[-n:]
    db.session.execute(sa.insert(LearnerProfile), [
        dict(user_id=uid, real_name=f"员工{uid}", id_number_enc="x", id_number_hash=secrets.token_hex(32),
             id_number_masked="320602********0000", mobile="13900000000", employer="", profession_series="health",
             title_level="intermediate", created_at=t, updated_at=t) for uid in ids])
    db.session.execute(sa.insert(Membership), [
        dict(employer_id=employer.id, learner_id=uid, state="active", department=f"科室{uid % 7}", source="invitation",
             started_on=date(YEAR, 1, 1), created_at=t, updated_at=t) for uid in ids])
    db.session.execute(sa.insert(LedgerEntry), [
        dict(learner_id=uid, year=YEAR, kind=kind, category=cat, hours=h, title="t", organizer="", state="accepted",
             source="office", created_at=t, updated_at=t)
        for uid in ids for kind, cat, h in (("course", "public", 24 if uid % 3 else 12), ("course", "specialized", 66))])
    status.refresh(ids)  # as the ledger's services keep it (LedgerChanged)
    db.session.commit()


def _statements(client, count_queries, url, kind=None):
    db.session.expire_all()
    g.pop("_login_user", None)
    with count_queries() as q:
        r = client.get(url)
        assert r.status_code == 200
    if kind is not None:
        return sum(1 for s in q.statements if s.lstrip().upper().startswith(kind)), r.get_data(as_text=True)
    return q.count, r.get_data(as_text=True)


def test_the_staff_list_runs_a_fixed_number_of_statements(client, login, app_ctx, office, count_queries):
    employer, admin = make_employer("南通大型企业", office=office)
    db.session.commit()
    login(admin)
    _bulk_staff(employer, 50, 0)
    client.get("/employer/staff")  # warm whatever is memoised per process
    small, _page = _statements(client, count_queries, f"/employer/staff?year={YEAR}&not_met=1")
    small_export, _csv = _statements(client, count_queries, f"/employer/staff.csv?year={YEAR}")
    _bulk_staff(employer, 4950, 50)
    assert services.staff_count(employer.id) == 5000
    big, page = _statements(client, count_queries, f"/employer/staff?year={YEAR}&not_met=1")
    assert big == small <= 12
    assert "1667" in page  # every third person is short of public hours
    big_export, text = _statements(client, count_queries, f"/employer/staff.csv?year={YEAR}")
    assert big_export == small_export  # the 5,000 audit rows of the export go in one multi-row INSERT
    assert text.count("\n") == 5001
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.action == "employer.export_staff")) == 5050


def test_the_staff_list_is_filtered_and_paged_in_the_database(app_ctx, office):
    """The rows of one page only, in the same order as the whole list; counts for every page;
    a page past the last is the last."""
    employer, _admin = make_employer("南通分页企业", office=office)
    db.session.commit()
    _bulk_staff(employer, 120, 9000)
    everyone = services.staff_list(employer, YEAR)
    assert (everyone.total, everyone.matching, len(everyone.rows)) == (120, 120, 120)
    short = [r for r in everyone.rows if not r.verdict.complies]
    assert everyone.not_met == len(short) == 40  # every third is short of public hours
    pages = [services.staff_list(employer, YEAR, page=p, per_page=50) for p in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [50, 50, 20] and {p.pages for p in pages} == {3}
    assert [r.membership_id for p in pages for r in p.rows] == [r.membership_id for r in everyone.rows]
    last = services.staff_list(employer, YEAR, page=99, per_page=50)
    assert last.page == 3 and [r.membership_id for r in last.rows] == [r.membership_id for r in pages[2].rows]
    dept = everyone.rows[0].department
    filtered = services.staff_list(employer, YEAR, not_met=True, department=dept, page=1, per_page=5)
    expected = [r.membership_id for r in short if r.department == dept]
    assert filtered.matching == len(expected) and filtered.total == 120
    assert [r.membership_id for r in filtered.rows] == expected[:5]
    assert all(r.verdict.shortfall_public > 0 and not r.verdict.public_met for r in filtered.rows)
    assert sorted(everyone.departments) == sorted({r.department for r in everyone.rows})

"""The audit log is append-only and searchable by admins."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.kernel import audit
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db, now
from tests.office.helpers import statements_for


def test_orm_refuses_update_and_delete(app_ctx, office):
    row = audit.record("person.view", office, subject_user_id=office.id)
    db.session.commit()
    row.detail = "changed"
    with pytest.raises(audit.AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(row)
    with pytest.raises(audit.AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_update(app_ctx, office):
    audit.record("person.view", office)
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET detail = 'x'"))
    assert db.session.scalar(sa.select(AuditLog.detail)) == ""


def test_database_refuses_delete_on_postgresql(app_ctx, office):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps DELETE possible for test clean-up")
    audit.record("person.view", office)
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError):
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log"))


def test_admin_search_filters_and_paginates(client, login, admin, office, learner):
    for i in range(60):
        audit.record("person.view", office, subject_user_id=learner.id, detail=f"n{i}")
    old = audit.record("token.create", admin, detail="old one")
    db.session.flush()
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    # the row's time is set at insert; search a range that excludes "now" for the old one
    login(admin)
    html = client.get("/office/audit").get_data(as_text=True)
    assert "61" in html and 'rel="next"' in html
    html = client.get("/office/audit?action=token.create").get_data(as_text=True)
    assert "old one" in html and "n1<" not in html
    html = client.get(f"/office/audit?subject={learner.id}&page=2").get_data(as_text=True)
    assert "n0" in html or "n1" in html
    html = client.get(f"/office/audit?actor={office.email}").get_data(as_text=True)
    assert "old one" not in html
    tomorrow = (now() + timedelta(days=1)).date().isoformat()
    html = client.get(f"/office/audit?date_from={tomorrow}").get_data(as_text=True)
    assert "n5" not in html
    assert old.id


def test_audit_page_query_count_is_fixed(client, login, admin, office, count_queries):
    audit.record("person.view", office)
    db.session.commit()
    login(admin)
    n1 = statements_for(client, "/office/audit", count_queries)
    for _ in range(30):
        audit.record("person.view", office)
    assert statements_for(client, "/office/audit", count_queries) == n1


# ---------------------------------------------------------------- review fixes
def test_a_full_id_number_in_a_detail_is_masked(app_ctx, office, learner):
    idn = learner.profile.id_number
    row = audit.record("bulk.upload", office, detail=f"{idn}.csv: 3 rows")
    db.session.commit()
    assert idn not in row.detail and row.detail.startswith(idn[:6] + "********" + idn[-4:])


def test_the_stored_actor_is_not_in_the_language_of_the_request(client, login, office, learner):
    """An officer browsing in English must not leave English behind for a Chinese learner."""
    from flask_babel import force_locale

    with force_locale("en"):
        row = audit.record("person.view", office, subject_user_id=learner.id)
    db.session.commit()
    assert "Title office" not in row.actor_label and "职称办" not in row.actor_label
    login(learner)
    html = client.get("/me/audit").get_data(as_text=True)
    assert office.display_name in html and "职称办 / 人社局" in html and "Title office" not in html


def test_api_reads_show_the_system_but_no_part_of_the_token_to_the_person(client, login, office, learner):
    from ntbase.office import tokens

    token, secret = tokens.create_token(office, "职称申报系统", ["person:read"], 30)
    db.session.commit()
    r = client.post("/api/v1/office/person-assessment", headers={"Authorization": f"Bearer {secret}"},
                    json={"id_number": learner.profile.id_number})
    assert r.status_code == 200
    login(learner)
    html = client.get("/me/audit").get_data(as_text=True)
    assert "职称申报系统" in html and office.display_name in html
    assert secret[:12] not in html and secret[4:12] not in html


def test_admin_audit_columns_say_what_they_hold(client, login, admin, office, learner):
    audit.record("person.view", office, subject_user_id=learner.id)
    db.session.commit()
    login(admin)
    html = client.get("/office/audit").get_data(as_text=True)
    assert "<th>当事人</th>" in html and "<th>来源地址</th>" in html
    assert "<th>科目</th>" not in html and "<th>开始日期</th>" not in html

"""A person's record: full-ID look-up only, every view audited and visible to the person."""
import sqlalchemy as sa

from ntbase.hours.models import EntryState, LedgerEntry
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db
from tests.office.helpers import (
    add_entry,
    make_certificate,
    make_statement,
    record_url,
    statements_for,
)


def _audit_rows(**filters):
    return db.session.scalars(sa.select(AuditLog).filter_by(**filters).order_by(AuditLog.id)).all()


def test_full_id_lookup_redirects_without_the_id_in_the_url(client, login, office, learner):
    login(office)
    idn = learner.profile.id_number
    resp = client.post("/office/person", data={"id_number": idn.lower()[:6] + " " + idn.lower()[6:]})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/office/person/")
    assert idn not in resp.headers["Location"] and idn.lower() not in resp.headers["Location"]
    assert client.get(resp.headers["Location"]).status_code == 200


def test_record_view_is_audited_and_the_person_sees_it(client, login, office, learner, base_a):
    make_certificate(learner, base_a)
    make_statement(learner)
    add_entry(learner, year=2021, hours="24")
    db.session.commit()
    login(office)
    html = client.get(record_url(client, learner)).get_data(as_text=True)
    assert learner.profile.id_number_masked in html
    assert learner.profile.id_number not in html
    rows = _audit_rows(action="person.view")
    assert len(rows) == 1 and rows[0].subject_user_id == learner.id and rows[0].actor_id == office.id
    assert rows[0].ip == "127.0.0.1"


def test_person_sees_who_looked(client, login, office, learner):
    from ntbase.kernel import audit

    audit.record("person.view", office, subject_user_id=learner.id)
    db.session.commit()
    login(learner)
    html = client.get("/me/audit").get_data(as_text=True)
    assert office.display_name in html
    assert "查看了您的继续教育记录" in html or "查看" in html


def test_partial_id_refused_and_nothing_logged(client, login, office, learner):
    login(office)
    idn = learner.profile.id_number
    for partial in (idn[:10], idn[:6] + "********" + idn[-4:], idn[-6:]):
        resp = client.post("/office/person", data={"id_number": partial})
        assert resp.status_code == 422
        assert "完整" in resp.get_data(as_text=True)
    assert _audit_rows() == []


def test_unknown_full_id_is_audited_as_a_miss(client, login, office):
    from tests.factories import valid_id_number

    login(office)
    idn = valid_id_number(777)
    resp = client.post("/office/person", data={"id_number": idn})
    assert resp.status_code == 422
    rows = _audit_rows(action="person.lookup_miss")
    assert len(rows) == 1 and idn not in rows[0].detail and rows[0].detail == idn[:6] + "********" + idn[-4:]


def test_record_page_statement_count_is_fixed(client, login, office, learner, base_a, count_queries):
    login(office)
    url = record_url(client, learner)
    n1 = statements_for(client, url, count_queries)
    for year in (2021, 2022, 2023):
        make_certificate(learner, base_a, year=year)
        make_certificate(learner, base_a, year=year)
        add_entry(learner, year=year, hours="30", category="specialized")
        add_entry(learner, year=year, hours="6", state=EntryState.PENDING)
        make_statement(learner, year=year)
    assert statements_for(client, url, count_queries) == n1


def test_review_pending_entry(client, login, office, learner):
    entry = add_entry(learner, year=2022, hours="10", state=EntryState.PENDING, kind="online_course",
                      category="specialized", title="外地线上课程")
    db.session.commit()
    login(office)
    url = record_url(client, learner)
    html = client.get(url).get_data(as_text=True)
    assert "外地线上课程" in html
    resp = client.post(f"{url}/review/entry/{entry.id}", data={"decision": "reject"})
    assert resp.status_code == 302
    assert db.session.get(LedgerEntry, entry.id).state == EntryState.PENDING  # a reason is required
    client.post(f"{url}/review/entry/{entry.id}",
                data={"decision": "reject", "reason": "证明材料不清晰"})
    db.session.expire_all()
    assert db.session.get(LedgerEntry, entry.id).state == EntryState.REJECTED
    rows = _audit_rows(action="person.entry_review")
    assert rows and rows[0].subject_user_id == learner.id


def test_cannot_review_another_persons_entry_through_this_record(client, login, office, learner):
    from tests.factories import make_learner

    other = make_learner()
    entry = add_entry(other, state=EntryState.PENDING)
    db.session.commit()
    login(office)
    resp = client.post(f"{record_url(client, learner)}/review/entry/{entry.id}", data={"decision": "accept"})
    assert resp.status_code == 404
    assert db.session.get(LedgerEntry, entry.id).state == EntryState.PENDING


def test_period_check_printable_and_audited(client, login, office, learner):
    for year in (2021, 2022, 2023):
        add_entry(learner, year=year, hours="24", category="public")
        add_entry(learner, year=year, hours="66", category="specialized")
    db.session.commit()
    login(office)
    html = client.get(f"{record_url(client, learner)}/period?start_year=2021&end_year=2023").get_data(as_text=True)
    assert "2021–2023" in html
    assert "Art. 27(2)" in html
    assert "verdict-ok" in html
    rows = _audit_rows(action="person.print")
    assert rows and rows[0].detail == "2021-2023" and rows[0].subject_user_id == learner.id


def test_period_check_refuses_bad_years(client, login, office, learner):
    login(office)
    resp = client.get(f"{record_url(client, learner)}/period?start_year=2023&end_year=2021")
    assert resp.status_code == 302
    assert _audit_rows(action="person.print") == []


def test_staff_and_other_learners_cannot_see_a_record(client, login, staff_a, learner):
    login(staff_a)
    assert client.get(f"/office/person/{learner.id}").status_code == 403
    assert client.post("/office/person", data={"id_number": learner.profile.id_number}).status_code == 403
    assert _audit_rows() == []


# ---------------------------------------------------------------- review fixes
def test_pages_with_a_persons_data_are_never_cached(client, login, office, learner):
    login(office)
    base = record_url(client, learner)
    for url in (base, f"{base}/period?start_year=2021&end_year=2023"):
        resp = client.get(url)
        assert resp.status_code == 200 and "no-store" in resp.headers["Cache-Control"], url
    resp = client.post("/office/person", data={"id_number": "3206021990"})
    assert "no-store" in resp.headers["Cache-Control"]


def test_a_miss_does_not_write_the_full_number_back_into_the_page(client, login, office):
    from tests.factories import valid_id_number

    login(office)
    idn = valid_id_number(778)
    html = client.post("/office/person", data={"id_number": idn}).get_data(as_text=True)
    assert idn not in html
    assert idn[:6] + "********" + idn[-4:] in html and "注册" in html


def test_the_printable_period_check_shows_every_reason(client, login, office, learner):
    add_entry(learner, year=2021, hours="24", category="public")
    db.session.commit()
    login(office)
    html = client.get(f"{record_url(client, learner)}/period?start_year=2021&end_year=2022").get_data(as_text=True)
    assert html.count("<details open>") == 2 and "<details>" not in html


def test_records_cannot_be_browsed_by_counting_user_numbers(client, login, office, learner):
    """The office reaches a record by the full ID number, not by /office/person/1, 2, 3…"""
    login(office)
    assert client.get(f"/office/person/{learner.id}").status_code == 404
    assert client.get(f"/office/person/{learner.id}/period?start_year=2021&end_year=2022").status_code == 404
    url = record_url(client, learner)
    forged = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1][:-3] + "xyz"
    assert client.get(forged).status_code == 404
    assert _audit_rows(action="person.view") == []


def test_a_record_link_belongs_to_the_officer_who_looked_and_expires(client, login, office, learner, monkeypatch):
    from ntbase.kernel.enums import Role
    from ntbase.office.person import links
    from tests.factories import make_user

    login(office)
    url = record_url(client, learner)
    colleague = make_user(Role.OFFICE)
    db.session.commit()
    login(colleague)
    assert client.get(url).status_code == 404  # a copied link is not a look-up
    login(office)
    assert client.get(url).status_code == 200
    monkeypatch.setattr(links, "PERSON_REF_MAX_AGE", -1)
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/office/person")
    assert len(_audit_rows(action="person.view")) == 1  # only the view that was allowed


def test_the_applicant_list_links_to_each_record(client, login, office, learner):
    from ntbase.office import applicants

    applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    db.session.commit()
    login(office)
    html = client.get("/office/applicants?year=2021").get_data(as_text=True)
    link = html.split('<td><a href="')[1].split('"')[0]
    assert link.startswith("/office/person/") and str(learner.id) != link.rsplit("/", 1)[1]
    assert learner.profile.real_name in client.get(link).get_data(as_text=True)


def test_trying_number_after_number_is_slowed_down(make_app, app_ctx, office):
    from tests.factories import valid_id_number

    app = make_app(RATELIMIT_ENABLED=True)
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(office.id)
        sess["_fresh"] = True
    codes = [c.post("/office/person", data={"id_number": valid_id_number(900 + i)}).status_code for i in range(31)]
    assert codes[:30] == [422] * 30 and codes[30] == 429

"""Title applicants (notice §4): who lacks the public hours, postponement until proof."""
import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.office import applicants
from ntbase.office.applicants.models import Committee, TitleApplication
from tests.factories import make_learner
from tests.office.helpers import add_entry, add_round_certificate, statements_for


def test_lacking_public_hours_postpones_the_certificate(app_ctx, office, learner):
    add_entry(learner, year=2021, hours="10", category="public")
    app = applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    assert app.certificate_postponed
    row = applicants.applicant_rows(2021)[0]
    assert row.lacks_public and not row.has_round_certificate


def test_24_public_hours_or_round_5_certificate_is_enough(app_ctx, office, learner):
    add_entry(learner, year=2021, hours="24", category="public")
    holder = make_learner(real_name="持证人")
    add_round_certificate(holder, 5)
    a1 = applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    a2 = applicants.register_applicant(holder.profile.id_number, 2021, "nantong", "", office)
    assert not a1.certificate_postponed and not a2.certificate_postponed
    rows = {r.learner.id: r for r in applicants.applicant_rows(2021)}
    assert rows[holder.id].has_round_certificate and not rows[holder.id].lacks_public
    assert not rows[learner.id].lacks_public


def test_round_certificate_does_not_help_another_year(app_ctx, office, learner):
    add_round_certificate(learner, 5)
    app = applicants.register_applicant(learner.profile.id_number, 2022, "nantong", "", office)
    assert app.certificate_postponed


def test_entrusted_review_follows_its_committee(app_ctx, office, learner):
    with pytest.raises(DomainError) as exc:
        applicants.register_applicant(learner.profile.id_number, 2021, "entrusted", "", office)
    assert exc.value.field == "committee_name"
    app = applicants.register_applicant(learner.profile.id_number, 2021, "entrusted", "江苏省工程系列高评委", office)
    assert not app.certificate_postponed
    assert applicants.applicant_rows(2021)[0].lacks_public


def test_registration_refuses_partial_ids_and_duplicates(app_ctx, office, learner):
    with pytest.raises(DomainError):
        applicants.register_applicant(learner.profile.id_number[:12], 2021, "nantong", "", office)
    applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    with pytest.raises(DomainError):
        applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)


def test_proof_ends_postponement_and_recheck_clears(app_ctx, office, learner):
    other = make_learner()
    a1 = applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    a2 = applicants.register_applicant(other.profile.id_number, 2021, "nantong", "", office)
    applicants.record_proof(a1.id, "南通职业大学公需科目培训合格证明 No.2021-0123", office)
    assert not a1.certificate_postponed and a1.proof_recorded_at is not None
    with pytest.raises(DomainError):
        applicants.record_proof(a1.id, "again", office)
    add_entry(other, year=2021, hours="24", category="public")
    assert applicants.recheck_applicants(2021, office) == (0, 1)
    assert not a2.certificate_postponed


def test_database_refuses_inconsistent_postponement(app_ctx, office, learner):
    from ntbase.kernel.db import now

    db.session.add(TitleApplication(learner_id=learner.id, year=2021, committee=Committee.ENTRUSTED,
                                    committee_name="x", certificate_postponed=True))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(TitleApplication(learner_id=learner.id, year=2021, committee=Committee.NANTONG,
                                    certificate_postponed=True, proof_recorded_at=now()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_page_register_list_and_export(client, login, office, learner):
    learner.profile.employer = "=cmd|' /C calc'!A0"
    db.session.commit()
    login(office)
    resp = client.post("/office/applicants?year=2021", data={
        "id_number": learner.profile.id_number, "year": "2021", "committee": "nantong", "committee_name": ""})
    assert resp.status_code == 302
    html = client.get("/office/applicants?year=2021").get_data(as_text=True)
    assert learner.profile.id_number_masked in html and learner.profile.id_number not in html
    assert "暂缓" in html
    out = client.get("/office/applicants/export?year=2021")
    rows = list(csv.reader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert learner.profile.id_number not in out.get_data().decode("utf-8-sig")
    xlsx = client.get("/office/applicants/export?year=2021&format=xlsx")
    assert xlsx.get_data()[:2] == b"PK"


def test_page_shows_field_error_for_partial_id(client, login, office, learner):
    login(office)
    resp = client.post("/office/applicants?year=2021", data={
        "id_number": "320602", "year": "2021", "committee": "nantong"})
    assert resp.status_code == 422
    assert 'id="id_number-err"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TitleApplication)) == 0


def test_applicant_list_query_count_is_fixed(client, login, office, count_queries):
    login(office)
    for _i in range(2):
        lr = make_learner()
        applicants.register_applicant(lr.profile.id_number, 2021, "nantong", "", office)
    n1 = statements_for(client, "/office/applicants?year=2021", count_queries)
    for _i in range(5):
        lr = make_learner()
        add_entry(lr, year=2021, hours="24")
        applicants.register_applicant(lr.profile.id_number, 2021, "nantong", "", office)
    assert statements_for(client, "/office/applicants?year=2021", count_queries) == n1


def test_xlsx_export_survives_control_characters_in_a_profile(client, login, office, learner):
    from openpyxl import load_workbook

    learner.profile.employer = "南通\x01医院"
    db.session.commit()
    applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", office)
    db.session.commit()
    login(office)
    out = client.get("/office/applicants/export?year=2021&format=xlsx")
    assert out.status_code == 200
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(out.get_data())).worksheets[0].iter_rows()]
    assert rows[1][2] == "南通医院"


def test_a_refused_registration_does_not_write_the_full_number_back(client, login, office, learner):
    login(office)
    idn = learner.profile.id_number
    client.post("/office/applicants?year=2021", data={"id_number": idn, "year": "2021", "committee": "nantong"})
    resp = client.post("/office/applicants?year=2021", data={  # the same person again
        "id_number": idn, "year": "2021", "committee": "nantong"})
    assert resp.status_code == 422 and "no-store" in resp.headers["Cache-Control"]
    html = resp.get_data(as_text=True)
    assert 'id="id_number-err"' in html and f'value="{idn}"' not in html

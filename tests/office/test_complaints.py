"""Complaints (Art. 29): 30-day deadline, explicit transitions, overdue first, learner sees answer."""
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.office import complaints
from ntbase.office.complaints.models import Complaint, ComplaintState
from tests.factories import make_learner
from tests.office.helpers import statements_for

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def _file(learner, base, at=None, subject="上课时间被临时更改"):
    return complaints.file_complaint(learner, complaints.ComplaintInput(
        target="base", base_id=base.id, subject=subject, details="报名时公布的时间与实际上课时间不一致。"), at=at)


def test_deadline_is_thirty_days_after_receipt(app_ctx, learner, base_a):
    at = datetime(2025, 3, 1, 10, 0)
    c = _file(learner, base_a, at=at)
    assert c.deadline_at == datetime(2025, 3, 31, 10, 0)
    assert c.state == ComplaintState.RECEIVED
    assert c.is_overdue(datetime(2025, 4, 1)) and not c.is_overdue(datetime(2025, 3, 30))


def test_transitions(app_ctx, learner, base_a, office):
    c = _file(learner, base_a)
    complaints.transition_complaint(c, ComplaintState.IN_PROGRESS, office)
    with pytest.raises(DomainError):
        complaints.transition_complaint(c, ComplaintState.IN_PROGRESS, office)
    with pytest.raises(DomainError) as exc:
        complaints.transition_complaint(c, ComplaintState.ANSWERED, office, answer="")
    assert exc.value.field == "answer"
    complaints.transition_complaint(c, ComplaintState.ANSWERED, office, answer="已责成基地退还差价并书面致歉。")
    assert c.answered_by_id == office.id and c.answered_at is not None
    for to in ComplaintState:
        with pytest.raises(DomainError):
            complaints.transition_complaint(c, to, office, answer="再次答复内容")
    assert [e.to_state for e in c.events] == ["received", "in_progress", "answered"]


def test_only_office_handles_and_only_learners_file(app_ctx, learner, base_a, staff_a):
    c = _file(learner, base_a)
    with pytest.raises(DomainError):
        complaints.transition_complaint(c, ComplaintState.IN_PROGRESS, staff_a)
    with pytest.raises(DomainError):
        complaints.file_complaint(staff_a, complaints.ComplaintInput(target="base", base_id=base_a.id,
                                                                 subject="x", details="y" * 20))


def test_database_refuses_answered_without_answer(app_ctx, learner, base_a):
    c = _file(learner, base_a)
    db.session.commit()
    c.state = ComplaintState.ANSWERED
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_employer_complaint_needs_a_name(app_ctx, learner):
    with pytest.raises(DomainError) as exc:
        complaints.file_complaint(learner, complaints.ComplaintInput(target="employer", subject="不同意报销培训费",
                                                                 details="单位拒绝报销已批准的培训费用。"))
    assert exc.value.field == "employer_name"


def test_office_list_overdue_first(client, login, office, learner, base_a, base_b):
    from ntbase.kernel.db import now

    recent = _file(learner, base_a, subject="新近投诉")
    old = _file(learner, base_b, at=now() - timedelta(days=40), subject="逾期投诉")
    answered = _file(learner, base_a, at=now() - timedelta(days=50), subject="已答复投诉")
    complaints.transition_complaint(answered, ComplaintState.ANSWERED, office, answer="已处理完毕。")
    db.session.commit()
    assert [c.id for c in complaints.office_complaints()] == [old.id, recent.id, answered.id]
    login(office)
    html = client.get("/office/complaints").get_data(as_text=True)
    assert html.index("逾期投诉") < html.index("新近投诉") < html.index("已答复投诉")
    assert 'class="overdue"' in html


def test_learner_files_with_attachments_and_reads_the_answer(client, login, learner, base_a):
    login(learner)
    resp = client.post("/me/complaints/new", data={
        "target": "base", "base_id": str(base_a.id), "employer_name": "", "subject": "退费未到账",
        "details": "课程取消后承诺七日内退费，至今未到账。",
        "attachments": [(io.BytesIO(PDF), "收据.pdf"), (io.BytesIO(PNG), "截图.png")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    c = db.session.scalar(sa.select(Complaint))
    assert len(c.attachments) == 2
    assert {a.evidence.content_type for a in c.attachments} == {"application/pdf", "image/png"}
    f = client.get(f"/me/complaints/{c.id}/files/{c.attachments[0].evidence_id}")
    assert f.status_code == 200 and f.get_data() in (PDF, PNG)


def test_attachment_checked_by_content(client, login, learner, base_a):
    login(learner)
    resp = client.post("/me/complaints/new", data={
        "target": "base", "base_id": str(base_a.id), "subject": "x投诉", "details": "足够长的投诉内容描述。",
        "attachments": [(io.BytesIO(b"MZ\x90\x00 not a pdf"), "evil.pdf")]}, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert 'id="attachments-err"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_office_answers_and_learner_sees_it(client, login, office, learner, base_a):
    c = _file(learner, base_a)
    db.session.commit()
    login(office)
    resp = client.post(f"/office/complaints/{c.id}", data={"to": "answered", "answer": "", "note": ""})
    assert resp.status_code == 422
    resp = client.post(f"/office/complaints/{c.id}", data={"to": "answered", "answer": "基地已于3月5日退费。"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).state == ComplaintState.ANSWERED


def test_learner_reads_own_answer_only(client, login, office, learner, base_a):
    c = _file(learner, base_a)
    complaints.transition_complaint(c, ComplaintState.ANSWERED, office, answer="基地已于3月5日退费。")
    other = make_learner()
    theirs = _file(other, base_a, subject="别人的投诉")
    db.session.commit()
    login(learner)
    html = client.get("/me/complaints").get_data(as_text=True)
    assert "上课时间被临时更改" in html and "别人的投诉" not in html
    assert "基地已于3月5日退费。" in client.get(f"/me/complaints/{c.id}").get_data(as_text=True)
    assert client.get(f"/me/complaints/{theirs.id}").status_code == 404


def test_office_complaint_list_query_count(client, login, office, learner, base_a, count_queries):
    _file(learner, base_a)
    login(office)
    n1 = statements_for(client, "/office/complaints", count_queries)
    for _ in range(5):
        _file(make_learner(), base_a)
    assert statements_for(client, "/office/complaints", count_queries) == n1


# ---------------------------------------------------------------- review fixes
def _with_attachment(learner, base):
    return complaints.file_complaint(learner, complaints.ComplaintInput(
        target="base", base_id=base.id, subject="附件投诉", details="见附件中的收据与聊天截图。",
        files=[("收据.pdf", PDF)]))


def test_guessed_ids_never_open_another_learners_attachment(client, login, learner, base_a):
    other = make_learner()
    theirs = _with_attachment(other, base_a)
    mine = _with_attachment(learner, base_a)
    db.session.commit()
    ev = theirs.attachments[0].evidence_id
    login(learner)
    assert client.get(f"/me/complaints/{theirs.id}/files/{ev}").status_code == 404
    # their file through my own complaint's URL
    assert client.get(f"/me/complaints/{mine.id}/files/{ev}").status_code == 404
    assert client.get(f"/me/complaints/{mine.id}/files/{mine.attachments[0].evidence_id}").status_code == 200


def test_office_opening_an_attachment_is_audited_for_the_learner(client, login, office, learner, base_a):
    from ntbase.kernel.audit import AuditLog

    c = _with_attachment(learner, base_a)
    db.session.commit()
    login(office)
    r = client.get(f"/office/complaints/{c.id}/files/{c.attachments[0].evidence_id}")
    assert r.status_code == 200 and r.get_data() == PDF
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "complaint.file"))
    assert row.subject_user_id == learner.id and row.actor_id == office.id


def test_the_learner_is_told_when_the_answer_is_there(app_ctx, office, learner, base_a):
    from ntbase.accounts.models import Notice

    c = _file(learner, base_a)
    complaints.transition_complaint(c, ComplaintState.IN_PROGRESS, office)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    complaints.transition_complaint(c, ComplaintState.ANSWERED, office, answer="基地已于3月5日退费。")
    db.session.flush()
    notice = db.session.scalar(sa.select(Notice))
    assert notice.user_id == learner.id and c.subject in notice.title and "答复" in notice.title
    assert notice.link == f"/me/complaints/{c.id}"


# ---------------------------------------------------------------- the input model and the state machine
@pytest.mark.parametrize("data, field, words", [
    ({}, "target", "投诉对象"),
    ({"target": "base"}, "base_id", "培训基地"),
    ({"target": "employer", "employer_name": "  "}, "employer_name", "单位名称"),
    ({"target": "employer", "employer_name": "单" * 201}, "employer_name", "200"),
    ({"target": "base", "base_id": 1, "subject": " "}, "subject", ""),
    ({"target": "base", "base_id": 1, "subject": "x" * 201}, "subject", "200"),
    ({"target": "base", "base_id": 1, "subject": "投诉", "details": "太短"}, "details", "10"),
    ({"target": "base", "base_id": 1, "subject": "投诉", "details": "足够长的投诉内容描述。",
      "files": [(f"{i}.pdf", PDF) for i in range(6)]}, "attachments", "5"),
])
def test_each_refusal_is_shown_next_to_its_field(app_ctx, data, field, words):
    with pytest.raises(DomainError) as exc:
        complaints.ComplaintInput(**data)
    assert exc.value.field == field and words in exc.value.message


def test_input_is_cleaned_and_keeps_only_what_the_target_needs(app_ctx):
    data = complaints.ComplaintInput(target="employer", base_id=3, employer_name=" 某单位 ", subject=" 不报销 ",
                                     details=" 单位拒绝报销已批准的培训费用。 ", files=[("empty.pdf", b"")])
    assert (data.base_id, data.employer_name, data.subject, data.files) == (None, "某单位", "不报销", [])
    assert complaints.ComplaintInput(target="base", base_id="7", employer_name="x", subject="s",
                                     details="y" * 10).employer_name == ""


def test_an_unknown_base_is_refused(app_ctx, learner):
    with pytest.raises(DomainError) as exc:
        complaints.file_complaint(learner, complaints.ComplaintInput(
            target="base", base_id=999, subject="投诉", details="足够长的投诉内容描述。"))
    assert exc.value.field == "base_id"


def test_two_officers_answering_at_once_cannot_both_win(app_ctx, learner, base_a, office):
    c = _file(learner, base_a)
    db.session.commit()
    # another request answers first; this one still holds the complaint as received
    db.session.execute(sa.update(Complaint).where(Complaint.id == c.id).values(
        state=ComplaintState.ANSWERED, answer="另一位工作人员的答复。", answered_at=c.received_at)
        .execution_options(synchronize_session=False))
    with pytest.raises(DomainError) as exc:
        complaints.transition_complaint(c, ComplaintState.ANSWERED, office, answer="同时提交的答复。")
    assert exc.value.code == "conflict"
    db.session.rollback()
    assert [e.to_state for e in db.session.get(Complaint, c.id).events] == ["received"]

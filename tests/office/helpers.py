"""Office test data: certificates, statements, completed enrollments, ledger entries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ntbase.certificates import codes, signing
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.hours import status
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry, Statement
from ntbase.kernel.db import db, now
from ntbase.kernel.security import mask_name


def make_certificate(learner, base, *, course=None, state=CertificateState.VALID, hours="12", year=2021,
                     category="public", title="公需科目：专业技术人员职业道德") -> Certificate:
    p = learner.profile
    code = codes.new_code()
    payload, signature, kid = signing.sign({"code": code, "name": mask_name(p.real_name), "hours": hours})
    cert = Certificate(
        code=code, learner_id=learner.id, course_id=course.id if course else None, base_id=base.id,
        holder_name=p.real_name, holder_name_masked=mask_name(p.real_name), holder_id_masked=p.id_number_masked,
        holder_id_hash=p.id_number_hash, course_title=title, base_name=base.name, category=category,
        hours=Decimal(hours), start_date=date(year, 5, 1), end_date=date(year, 5, 2), year=year,
        key_id=kid, payload=payload, signature=signature, state=state,
        revoked_at=now() if state == CertificateState.REVOKED else None,
        revoked_reason="重复发放" if state == CertificateState.REVOKED else "")
    db.session.add(cert)
    db.session.flush()
    return cert


def make_statement(learner, *, year=2021, total="90", public="24", complies=True) -> Statement:
    p = learner.profile
    code = codes.new_code()
    payload, signature, kid = signing.sign({"code": code, "year": year})
    st = Statement(code=code, learner_id=learner.id, year=year, holder_name_masked=mask_name(p.real_name),
                   holder_id_masked=p.id_number_masked, holder_id_hash=p.id_number_hash,
                   counted_total=Decimal(total), public_hours=Decimal(public), complies=complies,
                   key_id=kid, payload=payload, signature=signature)
    db.session.add(st)
    db.session.flush()
    return st


def add_entry(learner, *, year=2021, hours="24", category="public", kind="course",
              state=EntryState.ACCEPTED, days=None, level=None, title="培训") -> LedgerEntry:
    entry = LedgerEntry(learner_id=learner.id, year=year, kind=kind, category=category,
                        hours=Decimal(hours) if hours is not None else None,
                        days=Decimal(days) if days is not None else None, level=level, title=title,
                        start_date=date(year, 3, 1), end_date=date(year, 3, 2), state=state,
                        source="external" if state == EntryState.PENDING else "course")
    db.session.add(entry)
    db.session.flush()
    if state == EntryState.ACCEPTED:
        status.refresh([learner.id])  # as the ledger's services keep it (LedgerChanged)
    return entry


def add_round_certificate(learner, rnd=5, state=EntryState.ACCEPTED) -> ExemptionEvent:
    ev = ExemptionEvent(learner_id=learner.id, kind="public_round_certificate", round=rnd, state=state,
                        title=f"第{rnd}轮公需课合格证明")
    db.session.add(ev)
    if state == EntryState.ACCEPTED:
        db.session.flush()
        status.refresh([learner.id])
    db.session.flush()
    return ev


def completed_enrollment(learner, course):
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    e = Enrollment(course_id=course.id, learner_id=learner.id, state=EnrollmentState.COMPLETED, price_fen=0,
                   confirmed_at=now(), completed_at=now())
    db.session.add(e)
    db.session.flush()
    return e


def id_of(learner) -> str:
    return learner.profile.id_number




def statements_for(client, url: str, count_queries) -> int:
    """SQL statements of one GET of ``url``, after a warm-up request (so the logged-in
    user and anything cached per app context are loaded the same way every time)."""
    db.session.commit()
    db.session.expire_all()
    client.get(url)
    with count_queries() as q:
        resp = client.get(url)
    assert resp.status_code == 200
    return q.count


def record_url(client, learner) -> str:
    """The address of ``learner``'s record, reached as the office does: by the full ID number.
    (Records have signed addresses; see ``ntbase.office.person.links``.)"""
    resp = client.post("/office/person", data={"id_number": learner.profile.id_number})
    assert resp.status_code == 302, resp.status_code
    return resp.headers["Location"]

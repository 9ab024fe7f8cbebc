"""The certificate PDF is rendered once by the worker and served from storage; a name
correction or a revocation renders it again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.certificates import documents, services
from ntbase.certificates.models import Certificate, CertificateDocument
from ntbase.kernel import uow
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.kernel.jobs import jobs_of
from tests.attendance.helpers import completed_certificate
from tests.factories import make_learner, make_user


@pytest.fixture()
def site(make_app):
    return make_app(PUBLIC_BASE_URL="http://ntbase.test")


def _documents(cert_id):
    return {d.lang: d for d in db.session.scalars(
        sa.select(CertificateDocument).where(CertificateDocument.certificate_id == cert_id))}


def test_rendered_once_after_issue_and_served_from_storage(app_ctx, base_a, site, monkeypatch):
    learner = make_learner()
    office = make_user(Role.OFFICE)
    db.session.commit()
    with site.app_context():
        cert = completed_certificate(db.session.get(type(base_a), base_a.id), db.session.get(User, learner.id))
        assert _documents(cert.id) == {}  # not in the request that issued it
        uow.commit()  # hand the waiting jobs to the queue, as the request's commit does
        jobs_of(site).run_pending()
        stored = _documents(cert.id)
        assert set(stored) == {"zh_CN", "en"} and stored["zh_CN"].pdf.startswith(b"%PDF")
        first_digest = stored["zh_CN"].digest

        calls = []
        monkeypatch.setattr("ntbase.certificates.views.render_certificate_pdf",
                            lambda *a, **k: calls.append(a) or b"rendered")
        client = site.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(learner.id), True
        r = client.get(f"/certificates/{cert.id}.pdf")
        assert r.status_code == 200 and r.data == stored["zh_CN"].pdf and calls == []
        assert client.get(f"/certificates/{cert.id}.pdf?lang=en").data == stored["en"].pdf

        # a corrected name makes the stored copy stale: rendered on the spot until the worker redoes it
        services.correct_holder_name(db.session.get(Certificate, cert.id), "张晓明", office)
        uow.commit()
        assert client.get(f"/certificates/{cert.id}.pdf").data == b"rendered"
        monkeypatch.undo()
        jobs_of(site).run_pending()
        db.session.expire_all()
        assert _documents(cert.id)["zh_CN"].digest != first_digest
        assert documents.stored_pdf(db.session.get(Certificate, cert.id), "zh_CN") is not None

        services.revoke_certificate(db.session.get(Certificate, cert.id), "考勤记录不实", office)
        uow.commit()
        jobs_of(site).run_pending()
        db.session.expire_all()
        cert = db.session.get(Certificate, cert.id)
        assert documents.stored_pdf(cert, "en") == _documents(cert.id)["en"].pdf
        assert documents.digest(cert, "en") == _documents(cert.id)["en"].digest  # the revoked rendering


def test_nothing_is_stored_without_a_public_address(app_ctx, base_a, app):
    """The worker has no request to learn the site's address from: downloads render as before."""
    jobs_of(app).huey.flush()
    cert = completed_certificate(base_a, make_learner())
    uow.commit()
    assert jobs_of(app).run_pending() >= 1
    assert _documents(cert.id) == {}

"""E-mail through a real SMTP server: the right language and link; a failed send is
retried with back-off and never fails the request that caused it."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.models import Notice, User
from ntbase.certificates.models import Certificate
from ntbase.kernel import uow
from ntbase.kernel.db import db
from ntbase.kernel.jobs import jobs_of
from ntbase.notifications import services
from ntbase.notifications.models import Channel, Delivery, DeliveryState
from tests.attendance.helpers import completed_certificate
from tests.factories import make_learner
from tests.jobs.helpers import running_worker, wait_for
from tests.notifications.conftest import SmtpServer, free_port, mail_config, text_of


def test_certificate_issued_mail_arrives_in_the_learners_language_with_its_link(app_ctx, base_a, smtp,
                                                                                 make_app):
    app = make_app(**mail_config(smtp.port))
    zh = make_learner(real_name="张三")
    en = make_learner(real_name="李四")
    en.locale = "en"
    db.session.commit()
    with app.app_context():
        base = db.session.get(type(base_a), base_a.id)
        certs = {who: completed_certificate(base, db.session.get(User, who.id)) for who in (zh, en)}
        uow.commit()  # the helper committed; this runs what waits for the commit (hand to the queue)
        jobs_of(app).run_pending()
        ids = {who: c.id for who, c in certs.items()}
    by_to = {m["To"]: m for m in smtp.inbox.messages}
    assert set(by_to) == {zh.email, en.email}  # the course-completed mail and the certificate mail each
    subjects = sorted(str(m["Subject"]).strip() for m in smtp.inbox.messages)
    en_mails = [m for m in smtp.inbox.messages if m["To"] == en.email]
    zh_mails = [m for m in smtp.inbox.messages if m["To"] == zh.email]
    assert len(en_mails) == len(zh_mails) == 2, subjects
    en_cert = next(m for m in en_mails if str(m["Subject"]).strip().startswith("Certificate issued"))
    zh_cert = next(m for m in zh_mails if str(m["Subject"]).strip().startswith("证书已颁发"))
    assert f"http://ntbase.test/certificates/{ids[en]}" in text_of(en_cert)
    assert f"http://ntbase.test/certificates/{ids[zh]}" in text_of(zh_cert)
    assert "Certificate code" in text_of(en_cert) and "证书编号" in text_of(zh_cert)
    html = zh_cert.get_body(preferencelist=("html",)).get_content()
    assert f'href="http://ntbase.test/certificates/{ids[zh]}"' in html and 'lang="zh-CN"' in html
    assert zh_cert["From"] == "NTBase <noreply@ntbase.test>"
    states = db.session.scalars(sa.select(Delivery.state)).all()
    assert states and set(states) == {DeliveryState.SENT}


def test_a_failing_mail_server_never_fails_the_request_and_the_mail_is_retried(app_ctx, base_a, office,
                                                                                make_app, tmp_path):
    """The SMTP server is down when the office revokes a certificate: the request succeeds,
    the delivery fails and is retried with back-off by the real worker, and arrives once the
    server is back."""
    port = free_port()  # nothing listens there yet
    app = make_app(**mail_config(port, DELIVERY_RETRY_SECONDS=1, JOBS_URL=f"sqlite:///{tmp_path}/jobs.sqlite3"))
    learner = make_learner()
    db.session.commit()
    with app.app_context():
        cert = completed_certificate(db.session.get(type(base_a), base_a.id), db.session.get(User, learner.id))
        cert_id = cert.id
        db.session.execute(sa.delete(Delivery))  # only the revocation's mail matters here
        db.session.commit()
        db.session.remove()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(office.id), True
        r = client.post(f"/manage/certificates/{cert_id}/revoke", data={"reason": "考勤记录不实"})
        assert r.status_code == 302  # the mail server being down is nobody's problem in the request

        def delivery():
            db.session.remove()
            return db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.EMAIL))

        server = SmtpServer(port)
        try:
            with running_worker(app):
                failed = wait_for(lambda: (d := delivery()) is not None and d.attempts >= 1 and d.last_error,
                                  timeout=30)
                assert failed, "the first attempt did not run"
                assert delivery().state == DeliveryState.PENDING  # kept for the next attempt
                server.start()  # the server is back
                arrived = wait_for(lambda: len(server.inbox.messages) == 1, timeout=40)
                sent = wait_for(lambda: delivery().state == DeliveryState.SENT, timeout=10)
        finally:
            server.stop()
        assert arrived and sent
        d = delivery()
        assert d.attempts >= 2 and d.last_error == "" and d.sent_at is not None
        message = server.inbox.messages[0]
        assert message["To"] == learner.email and "撤销" in message["Subject"]
        assert "考勤记录不实" in text_of(message)
    assert db.session.scalar(sa.select(Certificate.state).where(Certificate.id == cert_id)).value == "revoked"


def test_retry_delays_double_up_to_a_cap(app):
    with app.app_context():
        delays = [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 12)]
    assert delays[:4] == [60, 120, 240, 480] and delays[4] == 6 * 3600


def test_only_the_in_app_notice_when_e_mail_is_off(app_ctx, learner):
    from ntbase.kernel.uow import unit_of_work

    with unit_of_work():
        services.set_preferences(learner.id, email=False, sms=False)
        services.notify(learner.id, "complaint_answered", link="/me/complaints/1", subject="时间")
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0

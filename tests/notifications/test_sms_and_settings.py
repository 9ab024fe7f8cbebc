"""SMS through the sandbox provider (read by staff, numbers masked) and each user's choice
of channels."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.kernel.db import db
from ntbase.kernel.jobs import jobs_of
from ntbase.kernel.uow import unit_of_work
from ntbase.notifications import services
from ntbase.notifications.models import Channel, Delivery, NotificationPreference, SandboxSms
from tests.factories import make_learner


def test_defaults_are_in_app_and_e_mail(app_ctx, learner):
    prefs = services.preferences_of(learner.id)
    assert (prefs.email, prefs.sms) == (True, False)
    with unit_of_work():
        services.notify(learner.id, "complaint_answered", link="/me/complaints/3", subject="上课时间")
    assert db.session.scalars(sa.select(Delivery.channel)).all() == [Channel.EMAIL]


def test_sms_goes_to_the_sandbox_and_staff_read_it_masked_newest_first(app, app_ctx, client, login, office):
    a = make_learner(mobile="13812345678")
    b = make_learner(mobile="13900001111")
    b.locale = "en"
    db.session.commit()
    with unit_of_work():
        for who in (a, b):
            services.set_preferences(who.id, email=False, sms=True)
    with unit_of_work():
        services.notify(a.id, "complaint_answered", link="/me/complaints/1", subject="上课时间")
    with unit_of_work():
        services.notify(b.id, "complaint_answered", link="/me/complaints/2", subject="Schedule")
    assert jobs_of(app).run_pending() == 2
    texts = db.session.scalars(sa.select(SandboxSms).order_by(SandboxSms.id)).all()
    assert [t.mobile for t in texts] == ["13812345678", "13900001111"]
    assert texts[0].text.startswith("【南通继教基地】") and "已有答复" in texts[0].text
    assert texts[0].text.endswith("/me/complaints/1")
    assert "answered" in texts[1].text
    login(office)
    html = client.get("/office/sms").get_data(as_text=True)
    assert "13812345678" not in html and "138****5678" in html
    assert html.index("139****1111") < html.index("138****5678")  # newest first


def test_the_sandbox_inbox_is_for_the_office_only(client, login, learner):
    assert client.get("/office/sms").status_code in (302, 401)
    login(learner)
    assert client.get("/office/sms").status_code == 403


def test_a_learner_chooses_channels_on_the_settings_page(client, login, learner):
    login(learner)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "通知设置" in page and 'name="email"' in page and "checked" in page
    r = client.post("/account/notifications", data={"sms": "y"})
    assert r.status_code == 302
    row = db.session.get(NotificationPreference, learner.id)
    assert (row.email, row.sms) == (False, True)
    assert "通知设置" in client.get("/account/notices").get_data(as_text=True)

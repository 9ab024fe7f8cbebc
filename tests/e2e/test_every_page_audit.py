"""Every GET page of the demo site, for a learner, base staff and the office, opened in
Chromium under the real Content-Security-Policy: the page fixture's audit (axe-core, CSP
reports; tests/e2e/conftest.py) runs on each one. The journeys cover the anonymous pages."""
import pytest
import sqlalchemy as sa

from ntbase.kernel.db import db
from tests.conftest import load_demo_data
from tests.test_pages_policy import SKIP, _values

ROLES = ["learner@demo.ntbase", "staff.ntvu@demo.ntbase", "office@demo.ntbase"]
NOT_PAGES = {"main.floor"}  # the benchmark's bare "ok"


@pytest.mark.parametrize("email", ROLES)  # one test per role: the test workers share them out
def test_every_demo_page_passes_axe_and_the_csp(live_server, page, email):
    from flask import url_for

    from ntbase.accounts.models import User
    from ntbase.demo import DEMO_PASSWORD

    load_demo_data()
    app = live_server.app
    audited = 0
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        with app.test_request_context():
            values = _values(user)
            urls = []
            for rule in app.url_map.iter_rules():
                if "GET" not in rule.methods or rule.endpoint in SKIP | NOT_PAGES:
                    continue
                args = {a: values.get(a) for a in rule.arguments}
                if all(v is not None for v in args.values()):
                    urls.append(url_for(rule.endpoint, **args))
    page.context.clear_cookies()
    page.goto(live_server.url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    refusals = set()  # one 403 and one 404 page per role is enough: they share a template
    for url in urls:
        head = page.request.get(live_server.url + url, max_redirects=0)
        if "text/html" not in head.headers.get("content-type", "") or 300 <= head.status < 400:
            continue
        if head.status >= 400:
            if head.status in refusals:
                continue
            refusals.add(head.status)
        page.goto(live_server.url + url)  # the audit of the page before runs first
        audited += 1
    page.audit.check()
    assert audited > 25, audited
    assert len(page.audit.audited) >= audited

"""#15.13 in the browser: the fee lines of the course form show unit price, quantity and
each line's amount, the total follows what is typed, and ¥10,000 typed by mistake (50 units
of a ¥200 item, meaning ¥50) is saved only after the confirmation — at 1280 and 390 px."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ntbase.catalog.models import Course
from ntbase.kernel.db import db, now
from tests.catalog.helpers import disclose, published_course
from tests.e2e.conftest import SHOTS, shot
from tests.factories import PASSWORD


def _login(page, url, user):
    page.goto(url + "/account/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _fill_course(page, d, title, offset):
    day = date.fromordinal(now().date().toordinal() + 60 + offset)  # one room, one course a day
    page.fill("#title", title)
    page.select_option("#category", "public")
    page.check("#teacher_ids-0")
    page.select_option("#room_id", str(d.room.id))
    page.fill("#sessions-0-day", day.isoformat())
    page.fill("#sessions-0-start", "09:00")
    page.fill("#sessions-0-end", "17:00")


def test_fee_lines_show_amounts_and_a_far_too_high_price_is_confirmed(live_server, page, phone_page, staff_a,
                                                                      base_a):
    d = disclose(base_a)
    for i in range(3):
        published_course(d, title=f"往期公需课{i}", start_day=40 + i * 5)
    db.session.commit()
    url = live_server.url
    fee, fee2 = f"#fee_{d.fee.id}", f"#fee_{d.fee2.id}"

    for offset, (pg, size) in enumerate(((page, "desktop"), (phone_page, "phone"))):
        _login(pg, url, staff_a)
        pg.goto(url + f"/manage/bases/{base_a.id}/courses/new")
        _fill_course(pg, d, f"五十元的课-{size}", offset)
        # the quantity is labelled as units, next to the unit price; the amounts follow the typing
        assert "数量（计价单位）" in pg.inner_text("#fee-lines") and "¥200.00 / 每人" in pg.inner_text("#fee-lines")
        pg.fill(fee, "2")
        assert pg.inner_text(f"#amount-{d.fee.id}") == "¥400.00"
        pg.fill(fee2, "1")
        assert pg.inner_text(f"#amount-{d.fee2.id}") == "¥50.00"
        assert pg.inner_text("#price-total") == "¥450.00"
        pg.fill(fee2, "0")
        pg.fill(fee, "50")  # meaning ¥50
        assert pg.inner_text(f"#amount-{d.fee.id}") == "¥10,000.00"
        assert pg.inner_text("#price-total") == "¥10,000.00"
        pg.locator("#fees").scroll_into_view_if_needed()
        shot(pg, f"course-fee-lines-typed-{size}")
        pg.locator("#fees").screenshot(path=str(SHOTS / f"course-fee-lines-typed-{size}-fees.png"))
        pg.click("main form button[type=submit]")
        pg.wait_for_load_state()
        # refused until confirmed: the form comes back with the message and the box
        assert pg.is_visible("#confirm-price"), [e.inner_text() for e in pg.query_selector_all(".error")]
        assert "¥10,000.00" in pg.inner_text("#confirm-price") and "3 倍" in pg.inner_text("#confirm-price")
        assert pg.inner_text("#price-total") == "¥10,000.00"
        pg.locator("#confirm-price").scroll_into_view_if_needed()
        shot(pg, f"course-fee-lines-confirm-{size}")
        pg.locator("#fees").screenshot(path=str(SHOTS / f"course-fee-lines-confirm-{size}-fees.png"))
        with live_server.app.app_context():
            assert db.session.scalar(sa.select(Course.id).where(Course.title == f"五十元的课-{size}")) is None
        pg.check("#confirm_price")
        pg.click("main form button[type=submit]")
        pg.wait_for_url("**/manage/courses/*")
        with live_server.app.app_context():
            price = db.session.scalar(sa.select(Course.price_fen).where(Course.title == f"五十元的课-{size}"))
        assert price == 1_000_000

"""The course form's fee lines (#15.13): quantity and unit price are labelled, each line's
amount and the total are on the page (server-rendered; static/js/course-form.js updates
them as they are typed), and a price far above the base's usual ones — more than 3 × the
dearest of its published courses — is saved only once the person ticks the confirmation,
the form coming back with 422 until then."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from ntbase.catalog import services as cs
from ntbase.catalog.models import Course
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.catalog.helpers import as_user, disclose, published_course
from tests.catalog.test_views import _form


@pytest.fixture()
def d(base_a):
    d = disclose(base_a)
    for i in range(3):  # the base's usual price: ¥200
        published_course(d, title=f"往期公需课{i}", start_day=40 + i * 5)
    db.session.commit()
    return d


def _new(client, base, d, **over):
    return client.post(f"/manage/bases/{base.id}/courses/new", data=_form(d, **over))


def _titles() -> set[str]:
    return set(db.session.scalars(sa.select(Course.title)))


@pytest.mark.parametrize("price,peers,limit", [
    (1_000_000, [], None), (1_000_000, [20000, 20000], None),  # fewer than 3 priced courses: nothing usual
    (1_000_000, [20000, 36000, 85000], 255000), (255000, [20000, 36000, 85000], None),  # 3 × the dearest: fine
    (255001, [20000, 36000, 85000, 0], 255000), (120000, [20000, 36000, 40000], None)])
def test_the_limit_is_three_times_the_dearest_published_course(price, peers, limit):
    assert cs.unusual_price_limit(price, peers) == limit


def test_the_form_labels_quantity_and_unit_price_and_shows_the_amounts(client, login, staff_a, base_a, d):
    as_user(login, staff_a)
    html = client.get(f"/manage/bases/{base_a.id}/courses/new").get_data(as_text=True)
    assert "单价" in html and "数量（计价单位）" in html and "是数量，不是金额" in html
    assert "¥200.00 / 每人" in html and "× 每人" in html
    assert f'id="amount-{d.fee.id}"' in html and 'id="price-total"' in html
    # what was typed is priced on the re-rendered page too (no JavaScript needed)
    r = _new(client, base_a, d, title="", **{f"fee_{d.fee.id}": "3", f"fee_{d.fee2.id}": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="amount-{d.fee.id}" for="fee_{d.fee.id}" aria-live="polite">¥600.00<' in html
    assert f'id="amount-{d.fee2.id}" for="fee_{d.fee2.id}" aria-live="polite">¥100.00<' in html
    assert '<strong id="price-total" data-free="免费" aria-live="polite">¥700.00</strong>' in html


def test_fifty_units_meaning_fifty_yuan_asks_for_a_confirmation(client, login, staff_a, base_a, d):
    as_user(login, staff_a)
    r = _new(client, base_a, d, title="五十元的课", **{f"fee_{d.fee.id}": "50"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "五十元的课" not in _titles()
    assert 'id="confirm-price"' in html and 'name="confirm_price"' in html and 'id="confirm_price-err"' in html
    assert "¥10,000.00" in html and "3 倍" in html and "（¥200.00）" in html and "请核对各收费项目的数量" in html
    # corrected: saved without any question
    r = _new(client, base_a, d, title="五十元的课", **{f"fee_{d.fee.id}": "1"})
    assert r.status_code == 302 and "五十元的课" in _titles()


def test_a_confirmed_unusual_price_is_saved(client, login, staff_a, base_a, d):
    as_user(login, staff_a)
    r = _new(client, base_a, d, title="高端研修班", confirm_price="y", **{f"fee_{d.fee.id}": "50"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(Course.price_fen).where(Course.title == "高端研修班")) == 1_000_000


def test_a_usual_price_is_not_questioned(client, login, staff_a, base_a, d):
    as_user(login, staff_a)
    # ¥600: 3 × the dearest published course, not more
    r = _new(client, base_a, d, title="两倍价格", **{f"fee_{d.fee.id}": "2", f"fee_{d.fee2.id}": "4"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="confirm-price"' not in html


def test_editing_without_changing_the_price_does_not_ask_again(client, login, staff_a, base_a, d):
    c = cs.create_course(base_a, cs.CourseInput(**{**_course_kwargs(d), "confirm_unusual_price": True}))
    db.session.commit()
    cs.update_course(c, cs.CourseInput(**{**_course_kwargs(d), "title": "改名"}))  # same price: no question
    with pytest.raises(DomainError) as err:  # a new price far above the usual: asked again
        cs.update_course(c, cs.CourseInput(**{**_course_kwargs(d, qty=60), "title": "改名"}))
    assert err.value.field == "confirm_price"


def _course_kwargs(d, qty=50):
    from tests.catalog.helpers import course_input

    data = course_input(d, fee_qty=qty, start_day=70)
    return {k: getattr(data, k) for k in data.__dataclass_fields__}


def test_a_new_base_without_published_prices_is_not_questioned(client, login, staff_b, base_b):
    d2 = disclose(base_b, prefix="乙")
    db.session.commit()
    as_user(login, staff_b)
    r = _new(client, base_b, d2, title="乙基地首门课", **{f"fee_{d2.fee.id}": "50"})
    assert r.status_code == 302

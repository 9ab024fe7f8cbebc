"""Compare bases: status, public price per hour, counts by category, next dates, locations."""
from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.catalog.compare import compare_bases
from ntbase.kernel.db import db
from ntbase.kernel.enums import CertificationStatus
from tests.catalog.helpers import course_input, disclose, published_course


def test_compare_figures(client, base_a, base_b):
    a = disclose(base_a)
    b = disclose(base_b, prefix="乙")
    published_course(a, title="公需一", start_day=30, days=2)  # ¥200 / 12 h
    published_course(a, title="公需二", start_day=40, days=4,  # ¥250 / 24 h
                     fee_lines=[cs.FeeLineInput(a.fee.id, 1), cs.FeeLineInput(a.fee2.id, 1)])
    published_course(a, title="专业一", start_day=50, category="specialized")
    cs.create_course(base_a, course_input(a, title="草稿", start_day=60))
    published_course(b, title="乙课程", start_day=35)
    bs.change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    rows = {r["base"].id: r for r in compare_bases()}
    ra = rows[base_a.id]
    assert ra["price_per_hour_min_fen"] == 1042  # 25000 / 24 = 1041.67 fen
    assert ra["price_per_hour_avg_fen"] == 1354  # (1666.67 + 1041.67) / 2
    assert ra["counts"] == {"public": 2, "specialized": 1, "elective": 0}
    assert [n.title for n in ra["next"]] == ["公需一", "公需二", "专业一"]
    assert [loc.name for loc in ra["locations"]] == ["主校区"]
    html = client.get("/bases/compare").get_data(as_text=True)
    for text in ("甲基地", "乙基地", "暂停", "¥10.42", "¥13.54", "公需一", "主校区"):
        assert text in html, text


def test_compare_statement_count_is_fixed(client, base_a, base_b, count_queries):
    a = disclose(base_a)
    published_course(a, title="一", start_day=30)
    db.session.commit()
    with count_queries() as q:
        client.get("/bases/compare")
    small = q.count
    b = disclose(base_b, prefix="乙")
    for i in range(6):
        published_course(b, title=f"乙{i}", start_day=40 + 3 * i, days=1, category=["public", "elective"][i % 2])
    db.session.commit()
    with count_queries() as q:
        client.get("/bases/compare")
    assert q.count == small


def test_suspended_base_offers_nothing_on_the_compare_page(client, base_a, base_b):
    """A suspended base stays visible (its status is what a learner must know), but its
    courses are not on offer: no counts, no links to them."""
    b = disclose(base_b, prefix="乙")
    published_course(b, title="乙基地课程", start_day=35)
    bs.change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    row = {r["base"].id: r for r in compare_bases()}[base_b.id]
    assert row["counts"] == {"public": 0, "specialized": 0, "elective": 0} and row["next"] == []
    assert row["price_per_hour_min_fen"] is None
    html = client.get("/bases/compare").get_data(as_text=True)
    assert "乙基地课程" not in html and "暂停" in html


def test_compare_page_with_no_base(client, app_ctx):
    r = client.get("/bases/compare")
    assert r.status_code == 200 and "暂无培训基地" in r.get_data(as_text=True)


def test_compare_table_becomes_cards_on_phones(client, base_a, base_b):
    """#15.12: on a phone each row is a card and each cell is labelled with its base."""
    from ntbase.kernel.db import db
    from tests.cards import card_problems

    db.session.commit()
    html = client.get("/bases/compare").get_data(as_text=True)
    assert card_problems(html, table_class="compare") == []
    assert 'data-label="甲基地"' in html and 'data-label="乙基地"' in html

"""The public catalog and course page: search, filters, sort, pagination, visibility,
calendar, and statement counts independent of how much is listed."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.kernel.db import db
from ntbase.kernel.enums import CertificationStatus
from tests.catalog.helpers import as_user, course_input, day, disclose, published_course


@pytest.fixture()
def d(base_a):
    return disclose(base_a)


def titles(client, query: str) -> str:
    r = client.get("/courses" + query)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_two_character_chinese_word_matches(client, d):
    published_course(d, title="专业技术人员安全生产知识培训", start_day=30)
    published_course(d, title="人工智能与数字经济", start_day=40, description_md="数据要素与算法",
                     teacher_ids=[d.teacher2.id])
    db.session.commit()
    html = titles(client, "?q=安全")
    assert "专业技术人员安全生产知识培训" in html and "人工智能与数字经济" not in html
    assert "人工智能与数字经济" in titles(client, "?q=算法")  # description
    html = titles(client, "?q=李敏")  # teacher name
    assert "人工智能与数字经济" in html and "专业技术人员安全生产知识培训" not in html
    assert "1 门" in titles(client, "?q=数字 经济") or "找到 1 门课程" in titles(client, "?q=数字 经济")
    assert "找到 0 门课程" in titles(client, "?q=安全 算法")


def test_like_wildcards_are_literal(client, d):
    published_course(d, title="百分之百安全")
    db.session.commit()
    assert "找到 0 门课程" in titles(client, "?q=%25")
    assert "找到 0 门课程" in titles(client, "?q=_")


def test_filters(client, d, base_b):
    b = disclose(base_b, prefix="乙")
    published_course(d, title="甲公需课", category="public", start_day=30)
    published_course(d, title="甲专业课", category="specialized", start_day=65, fee_qty=0,
                     staff_levels=["senior"], profession_series=["health"], capacity=2)
    published_course(d, title="甲线上课", category="elective", mode="online", hours=12, start_day=45)
    published_course(b, title="乙基地课", start_day=30)
    db.session.commit()
    full = published_course(d, title="已满课程", start_day=80, capacity=1)
    full.seats_taken = 1
    db.session.commit()

    def only(query, *expected):
        html = titles(client, query)
        for t in ("甲公需课", "甲专业课", "甲线上课", "乙基地课", "已满课程"):
            assert (t in html) == (t in expected), (query, t)

    only(f"?base={base_b.id}", "乙基地课")
    only("?category=specialized", "甲专业课")
    only("?mode=online", "甲线上课")
    month = day(65).strftime("%Y-%m")
    only(f"?month={month}&base={d.base.id}", *[t for t, s in (("甲专业课", 65), ("已满课程", 80))
                                                if day(s).strftime("%Y-%m") == month])
    only(f"?date_from={day(44).date()}&date_to={day(66).date()}", "甲线上课", "甲专业课")
    only("?price_max=0", "甲专业课")
    only("?price_min=150&price_max=200.00", "甲公需课", "甲线上课", "乙基地课", "已满课程")
    # staff level / profession: empty lists mean "everyone"
    only("?staff_level=junior", "甲公需课", "甲线上课", "乙基地课", "已满课程")
    only("?staff_level=senior&profession=health", "甲公需课", "甲专业课", "甲线上课", "乙基地课", "已满课程")
    only("?seats_left=y", "甲公需课", "甲专业课", "甲线上课", "乙基地课")
    r = client.get("/courses?price_min=abc")  # a filter that cannot be used: said next to it, 422 (#15.2)
    assert r.status_code == 422
    assert 'id="price_min-err"' in r.get_data(as_text=True)


def test_sort_by_price_and_date(client, d):
    published_course(d, title="贵的课", start_day=30, fee_lines=[cs.FeeLineInput(d.fee.id, 2)])
    published_course(d, title="便宜课", start_day=40, fee_qty=0)
    db.session.commit()
    html = titles(client, "?sort=price")
    assert html.index("便宜课") < html.index("贵的课")
    html = titles(client, "?sort=start")
    assert html.index("贵的课") < html.index("便宜课")
    html = titles(client, "?sort=-price")
    assert html.index("贵的课") < html.index("便宜课")


def test_drafts_suspended_bases_and_past_courses_are_not_listed(client, d, base_b):
    b = disclose(base_b, prefix="乙")
    published_course(d, title="正常课程")
    cs.create_course(d.base, course_input(d, title="草稿课程", start_day=50))
    published_course(b, title="暂停基地课程")
    past = published_course(d, title="去年的旧课", start_day=60)
    bs.change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    for s in past.sessions:
        s.starts_at -= timedelta(days=400)
        s.ends_at -= timedelta(days=400)
    past.first_session_at -= timedelta(days=400)
    past.last_session_at -= timedelta(days=400)
    past.enroll_opens_at -= timedelta(days=400)
    past.enroll_closes_at -= timedelta(days=400)
    db.session.commit()
    html = titles(client, "")
    assert "正常课程" in html
    assert "草稿课程" not in html and "暂停基地课程" not in html and "去年的旧课" not in html
    assert "去年的旧课" in titles(client, "?include_past=y")
    assert "草稿课程" not in titles(client, "?include_past=y&q=草稿")


def test_pagination_twenty_per_page(client, d):
    for i in range(23):
        c = cs.create_course(d.base, course_input(d, title=f"课程{i:02d}", start_day=30 + i, days=1,
                                                  room=d.room if i % 2 else d.room2, capacity=30))
        cs.publish_course(c)
    db.session.commit()
    html = titles(client, "")
    assert "找到 23 门课程" in html and html.count('class="course-item"') == 20
    assert 'rel="next"' in html
    assert "下一页" in html and "第 1 页，共 2 页" in html  # the pager speaks Chinese too
    html = titles(client, "?page=2")
    assert html.count('class="course-item"') == 3 and "课程22" in html


def test_course_page_shows_everything(client, d):
    data = course_input(d, title="建筑工程质量安全管理", teacher_ids=[d.teacher.id, d.teacher2.id])
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
    c = cs.create_course(d.base, data)
    cs.publish_course(c)
    db.session.commit()
    html = client.get(f"/courses/{c.id}").get_data(as_text=True)
    for text in ("建筑工程质量安全管理", "公需科目培训费", "资料费", "¥250.00", "王建国", "李敏", "副教授",
                 "A101", "主校区", "12", "开课前3天可全额退费", "剩余 30 个名额",
                 f"/bases/{d.base.id}/disclosure/{c.disclosure_version.version}", f"/courses/{c.id}.ics"):
        assert text in html, text


def test_course_page_draft_only_for_own_staff(client, login, d, staff_a, staff_b):
    c = cs.create_course(d.base, course_input(d))
    db.session.commit()
    assert client.get(f"/courses/{c.id}").status_code == 404
    assert client.get(f"/courses/{c.id}.ics").status_code == 404
    as_user(login, staff_b)
    assert client.get(f"/courses/{c.id}").status_code == 404
    as_user(login, staff_a)
    assert client.get(f"/courses/{c.id}").status_code == 200
    assert client.get("/courses/999999").status_code == 404


def test_ics_download(client, d):
    c = published_course(d, days=2)
    db.session.commit()
    r = client.get(f"/courses/{c.id}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    from icalendar import Calendar

    cal = Calendar.from_ical(r.data)
    events = [e for e in cal.walk("VEVENT")]
    assert len(events) == 2
    start = events[0].decoded("dtstart")
    assert start.replace(tzinfo=None) == c.sessions[0].starts_at and start.utcoffset() == timedelta(hours=8)
    assert "A101" in str(events[0]["location"])


def _catalog_statements(client, count_queries):
    with count_queries() as q:
        assert client.get("/courses").status_code == 200
    return q.count


def test_catalog_statement_count_is_independent_of_courses_listed(client, d, count_queries):
    published_course(d, title="课程A", start_day=30, days=1)
    db.session.commit()
    small = _catalog_statements(client, count_queries)
    for i in range(15):
        published_course(d, title=f"课程{i}", start_day=40 + i, days=1,
                         teacher_ids=[d.teacher.id, d.teacher2.id])
    db.session.commit()
    assert _catalog_statements(client, count_queries) == small


def test_course_page_statement_count_is_independent_of_teachers_and_sessions(client, d, count_queries):
    small = published_course(d, title="小课程", days=1, start_day=30)
    data = course_input(d, title="大课程", days=5, start_day=40, teacher_ids=[d.teacher.id, d.teacher2.id])
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
    big = cs.create_course(d.base, data)
    cs.publish_course(big)
    db.session.commit()
    counts = []
    for c in (small, big):
        with count_queries() as q:
            assert client.get(f"/courses/{c.id}").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_trigram_index_only_on_postgresql(app_ctx):
    """pg_trgm GIN index serves ILIKE '%词%' on PostgreSQL; SQLite has no such index."""
    names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("course")}
    assert ("ix_course_search_trgm" in names) == (db.engine.dialect.name == "postgresql")


# ---- review fixes
@pytest.mark.parametrize("query", ["?month=9999-12", "?date_to=9999-12-31", "?date_from=0001-01-01&date_to=9999-12-31",
                                   "?month=0000-01", "?month=2026-13", "?page=999999999999", "?page=-3"])
def test_extreme_dates_and_pages_do_not_crash(client, d, query):
    published_course(d, title="正常课程")
    db.session.commit()
    r = client.get("/courses" + query)
    assert r.status_code == 200
    api = client.get("/api/v1/courses" + query.replace("page=-3", "page=1").replace("page=999999999999", "page=1"))
    assert api.status_code in (200, 422) and api.is_json


@pytest.mark.parametrize("markdown_text,forbidden", [
    ("<script>alert(1)</script>正文", "<script"),
    ("[点我](JaVaScRiPt:alert(1))", "javascript"),
    ('<a href="java&#x09;script:alert(1)">点我</a>', "script:"),
    ("[点我](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ("<img src=x onerror=alert(1)>正文", "onerror"),
    ("![图](x.png)正文", "<img"),
    ('<iframe src="https://evil.example/"></iframe>正文', "iframe"),
    ("<style>body{display:none}</style>正文", "display:none"),
    ('<p style="position:fixed;top:0">正文</p>', "style="),
    ("<svg onload=alert(1)></svg>正文", "onload"),
    ('<form action="https://evil.example/"><input name=pw></form>正文', "<form"),
    ('<td onclick="alert(1)">正文</td>', "onclick"),
])
def test_description_is_sanitised_on_the_course_page(client, d, markdown_text, forbidden):
    c = published_course(d, description_md=markdown_text + "\n\n**安全**")
    db.session.commit()
    html = client.get(f"/courses/{c.id}").get_data(as_text=True)
    prose = html.split('class="prose">', 1)[1].split("</div>", 1)[0]
    assert forbidden.lower() not in prose.lower()
    assert "<strong>安全</strong>" in prose
    api = client.get(f"/api/v1/courses/{c.id}").json["description_html"]
    assert forbidden.lower() not in api.lower()


def test_english_pages_use_english_base_names_and_list_separators(client, d):
    d.base.name_en = "Base A College"
    published_course(d, title="安全课程", staff_levels=["junior", "intermediate"])
    db.session.commit()
    html = client.get("/courses?lang=en").get_data(as_text=True)
    assert "Base A College ·" in html
    c = db.session.scalar(sa.select(cs.Course))
    page = client.get(f"/courses/{c.id}?lang=en").get_data(as_text=True)
    assert "Base A College</a>" in page and "Junior (初级), Intermediate (中级)" in page
    assert "base's current disclosure" in page
    zh = client.get(f"/courses/{c.id}?lang=zh_CN").get_data(as_text=True)
    assert "甲基地</a>" in zh and "初级 (初级)" not in zh


@pytest.mark.parametrize("query,opened,active", [
    ("?q=安全", False, []), ("?q=安全&lang=en", False, []), ("?sort=price", False, []),
    ("?category=public", False, ["科目类别：公需科目"]),
    ("?category=public&seats_left=y&lang=en", False, ["Category: Public subject", "Seats left only"]),
    ("?q=安全&price_min=abc", True, [])])
def test_filter_panel_folds_once_filters_apply_and_opens_on_an_error(client, d, query, opened, active):
    """#15.12: applied filters fold away (results near the top on a phone) and the summary
    says which are in use; the panel stays open only to show an error."""
    html = client.get("/courses" + query).get_data(as_text=True)
    assert ('<details class="more-filters" open>' in html) == opened
    assert '<details class="more-filters"' in html
    for text in active:
        assert f'<span class="tag">{text}</span>' in html
    assert ('id="active-filters"' in html) == bool(active)

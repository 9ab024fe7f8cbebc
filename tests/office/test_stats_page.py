"""The statistics page on Chinese pages and on phones (#15.16, #15.12)."""
import re

from tests.cards import card_problems
from tests.office.test_stats import _chart_specs, _data


def test_hours_are_in_xueshi_on_chinese_pages(client, login, office, base_a, base_b):
    login(office)
    year, _ = _data(base_a, base_b)
    html = client.get(f"/office/stats?year={year}").get_data(as_text=True)
    hours = next(s for s in _chart_specs(html) if s["title"] == "已认可学时（按科目类别）")
    assert hours["unit"] == "学时", "the chart's values carry the unit 学时"
    assert not re.search(r"\d h<", html), "no English unit on a Chinese page"
    en = client.get(f"/office/stats?year={year}&lang=en").get_data(as_text=True)
    assert next(s for s in _chart_specs(en) if s["title"] == "Accepted hours by category")["unit"] == "h"


def test_statistics_tables_become_cards_on_phones(client, login, office, base_a, base_b):
    login(office)
    year, _ = _data(base_a, base_b)
    html = client.get(f"/office/stats?year={year}").get_data(as_text=True)
    for table_id in ("enrollments", "hours", "professions", "employers"):
        assert card_problems(html, table_id=table_id) == []
    assert 'data-label="3 月"' in html  # month columns say which month they are


def test_person_record_says_xueshi():
    """The office's person page spelled hours as a bare "h" too."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "templates" / "office" / "person.html").read_text()
    assert not re.search(r"\|hours \}\} h\b", text)


def test_many_bases_chart_the_twelve_busiest_and_list_all(client, login, office, app_ctx, monkeypatch):
    """At city scale (a hundred bases) the page draws the 12 busiest; the table lists them
    all, busiest first, a page at a time, so the page costs the same for 3 bases or 150."""
    from datetime import timedelta

    from ntbase.kernel.db import db, now
    from ntbase.office.stats import views
    from tests.factories import make_base, make_course, make_learner
    from tests.office.helpers import completed_enrollment

    learner = make_learner()
    for i in range(14):
        base = make_base(name=f"基地{i:02d}", slug=f"many-{i}")
        for _ in range(1 + i % 3):
            completed_enrollment(learner, make_course(base, start=now() - timedelta(days=3)))
    db.session.commit()
    login(office)

    def table(html):
        part = html[html.index('id="enrollments"'):html.index("</table>", html.index('id="enrollments"'))]
        return re.findall(r'class="card-title" data-label="[^"]*">([^<]+)</td>', part)

    html = client.get(f"/office/stats?year={now().year}").get_data(as_text=True)
    months = [s for s in _chart_specs(html) if s["kind"] == "columns"]
    assert len(months) == 12 and "表格按报名数从多到少列出全部 14 个基地" in html
    assert len(table(html)) == 14 and 'rel="next"' not in html  # 14 fit on one page
    # busiest first: 3 enrollments (i % 3 == 2), then 2, then 1; by name within each
    assert table(html)[:5] == ["基地02", "基地05", "基地08", "基地11", "基地01"]

    monkeypatch.setattr(views, "BASES_PER_PAGE", 5)
    first = client.get(f"/office/stats?year={now().year}").get_data(as_text=True)
    assert table(first) == ["基地02", "基地05", "基地08", "基地11", "基地01"]
    assert f"/office/stats?year={now().year}&amp;page=2" in first and "第 1 页，共 3 页" in first
    last = client.get(f"/office/stats?year={now().year}&page=3").get_data(as_text=True)
    assert table(last) == ["基地03", "基地06", "基地09", "基地12"]
    assert len([s for s in _chart_specs(last) if s["kind"] == "columns"]) == 12  # the charts stay
    assert table(client.get(f"/office/stats?year={now().year}&page=99").get_data(as_text=True)) == table(last)

"""Statistics: aggregates in a fixed number of statements, chart data, CSV export."""
import csv
import io
from datetime import timedelta

from ntbase.kernel.db import db, now
from ntbase.office import stats
from ntbase.office.stats import charts
from tests.factories import make_course, make_learner
from tests.office.helpers import add_entry, completed_enrollment, statements_for


def _data(base_a, base_b, n=2):
    year = now().year
    learners = []
    for i in range(n):
        lr = make_learner(employer="南通市第一人民医院" if i % 2 == 0 else "=evil()", profession_series="health")
        add_entry(lr, year=year, hours="24", category="public")
        add_entry(lr, year=year, hours="66" if i % 2 == 0 else "10", category="specialized")
        add_entry(lr, year=year, hours=None, days="2", kind="conference", level="national", category="specialized")
        completed_enrollment(lr, make_course(base_a if i % 2 == 0 else base_b, start=now() - timedelta(days=5)))
        learners.append(lr)
    db.session.commit()
    return year, learners


def test_figures(app_ctx, base_a, base_b):
    year, _ = _data(base_a, base_b)
    hours = {r["category"]: r for r in stats.hours_by_category(year)}
    assert hours["public"]["hours"] == 48
    assert hours["specialized"]["hours"] == 66 + 10 + 2 * 2 * 10  # conference: days × 10
    enr = stats.enrollments_by_month(year)
    assert sum(b["total"] for b in enr) == 2 and {b["base"] for b in enr} == {"甲基地", "乙基地"}
    emp, prof, overall = stats.compliance_shares(year)
    assert (overall.learners, overall.complying) == (2, 1)  # 24 + 10 + 20 = 54 h does not
    assert {r.label: r.share for r in emp}["南通市第一人民医院"] == 100.0


def _chart_specs(html: str) -> list[dict]:
    import html as html_lib
    import json
    import re

    return [json.loads(html_lib.unescape(m)) for m in re.findall(r"data-chart='([^']*)'", html)]


def test_page_has_chart_data_and_tables_with_fixed_statements(client, login, office, base_a, base_b,
                                                               count_queries):
    login(office)
    year, _ = _data(base_a, base_b, n=2)
    html = client.get(f"/office/stats?year={year}").get_data(as_text=True)
    assert 'id="employers"' in html and "cdn" not in html.lower() and "<svg" not in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/js/charts.js" in html
    specs = _chart_specs(html)
    months = [s for s in specs if s["kind"] == "columns"]
    assert {s["title"] for s in months} == {"甲基地", "乙基地"} and len(months[0]["labels"]) == 12
    hours = next(s for s in specs if s["title"] == "已认可学时（按科目类别）")
    assert hours["unit"] == "学时" and 48.0 in hours["series"][0]["values"]  # not "33 h" on a Chinese page
    n1 = statements_for(client, f"/office/stats?year={year}", count_queries)
    _data(base_a, base_b, n=6)
    assert statements_for(client, f"/office/stats?year={year}", count_queries) == n1


def test_chart_data_is_escaped_in_its_attribute(client, login, office, app_ctx):
    from ntbase.accounts.services import update_profile
    from tests.factories import make_learner

    lr = make_learner(employer="<script>alert(1)</script>'\"")
    update_profile(lr, mobile=lr.profile.mobile, employer="<script>alert(1)</script>'\"",
                   profession_series="health", title_level=lr.profile.title_level.value)
    db.session.commit()
    login(office)
    html = client.get(f"/office/stats?year={now().year}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    employers = next(s for s in _chart_specs(html) if s["title"] == "按工作单位")
    assert "<script>alert(1)</script>'\"" in employers["labels"]  # intact once parsed


def test_chart_specs_keep_full_labels(app_ctx):
    """The browser shortens long labels to fit a phone; the data keeps the full name."""
    bar = charts.bar_chart([("南通市第一人民医院急诊科", 50.0)], title="t", unit="%", max_value=100)
    assert bar["labels"] == ["南通市第一人民医院急诊科"] and bar["max"] == 100 and bar["unit"] == "%"
    month = charts.month_chart(dict.fromkeys(range(1, 13), 3), title="t")
    assert month["labels"] == [str(m) for m in range(1, 13)] and month["series"][0]["values"] == [3.0] * 12


def test_export_is_escaped(client, login, office, base_a, base_b):
    login(office)
    year, _ = _data(base_a, base_b)
    out = client.get(f"/office/stats/export?table=employers&year={year}")
    rows = list(csv.reader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert ["'=evil()", "1", "0", "0.0"] in rows
    for table in ("enrollments", "hours", "professions"):
        assert client.get(f"/office/stats/export?table={table}&year={year}").status_code == 200
    assert client.get(f"/office/stats/export?table=nope&year={year}").status_code == 404


def test_page_reads_a_snapshot_worked_out_at_most_every_max_age(make_app, login, office, base_a, base_b):
    """At city scale the aggregates cost hundreds of milliseconds: with the cache on, the page
    and its export read one snapshot per year and language, until it is older than
    STATS_MAX_AGE or the office asks for it to be worked out now."""
    from ntbase.kernel.cache import page_cache

    app = make_app(CACHE_ENABLED=True, STATS_MAX_AGE=300)
    db.session.commit()
    with app.app_context():
        page_cache().backend.clear()
        c = login(office, app.test_client())
        year, _ = _data(base_a, base_b, n=2)
        first = c.get(f"/office/stats?year={year}&lang=en").get_data(as_text=True)
        assert "Overall: 1 of 2 learners" in first and 'id="stats-computed"' in first
        _data(base_a, base_b, n=2)  # two more learners, one of them complying
        again = c.get(f"/office/stats?year={year}&lang=en").get_data(as_text=True)
        assert "Overall: 1 of 2 learners" in again, "within STATS_MAX_AGE: the same snapshot"
        rows = list(csv.reader(io.StringIO(c.get(f"/office/stats/export?table=professions&year={year}")
                                           .get_data().decode("utf-8-sig"))))
        assert rows[1][1:3] == ["2", "1"], "the export matches what the page showed"
        now_ = c.get(f"/office/stats?year={year}&fresh=1&lang=en").get_data(as_text=True)
        assert "Overall: 2 of 4 learners" in now_, "worked out now on request"
        # an expired snapshot is worked out again by the next request
        key = f"ntbase:kept:stats:{year}:en"
        at, snap = page_cache().backend.get(key)
        page_cache().backend.set(key, (at - 301, snap), 600)
        _data(base_a, base_b, n=2)
        assert "Overall: 3 of 6 learners" in c.get(f"/office/stats?year={year}&lang=en").get_data(as_text=True)


def test_an_expired_snapshot_is_served_while_another_request_works_it_out(make_app, app_ctx):
    from ntbase.kernel import cache

    app = make_app(CACHE_ENABLED=True)
    with app.app_context():
        backend = cache.page_cache().backend
        backend.clear()
        calls = []
        value, at = cache.kept("t", lambda: calls.append(1) or "first", max_age=60)
        assert (value, calls) == ("first", [1])
        backend.set("ntbase:kept:t", (at - 61, "first"), 600)  # expired
        assert backend.add("ntbase:kept:t:lock", 1, 60)  # another request is working it out
        assert cache.kept("t", lambda: calls.append(2) or "second", max_age=60)[0] == "first"
        backend.delete("ntbase:kept:t:lock")
        assert cache.kept("t", lambda: calls.append(3) or "third", max_age=60)[0] == "third"
        assert calls == [1, 3]
        assert backend.add("ntbase:kept:t:lock", 1, 60), "the lock is released after working it out"


def test_with_nothing_kept_yet_a_request_waits_for_the_one_working_it_out(make_app, app_ctx):
    import threading
    import time

    from ntbase.kernel import cache

    app = make_app(CACHE_ENABLED=True)
    with app.app_context():
        backend = cache.page_cache().backend
        backend.clear()
        assert backend.add("ntbase:kept:w:lock", 1, 60)  # someone is working it out

        def finish():
            time.sleep(0.2)
            backend.set("ntbase:kept:w", (time.time(), "theirs"), 600)

        threading.Thread(target=finish).start()
        assert cache.kept("w", lambda: "mine", max_age=60)[0] == "theirs", "waited, did not compute again"
